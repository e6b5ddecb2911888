/**
 * Private bookmarks exist only for their owner: never in public lists, tag
 * pages, the tag index, search, Atom, Markdown or anyone else's API answers.
 * And whatever people type comes out escaped.
 */
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken } from '../helpers/factories';
import { bookmarkOf, type Person, person } from './support';

let app: TestApp;
let owner: Person;
let other: Person;
let secretId: number;

test.before(async () => {
  app = await startTestApp({}, 'web');
  owner = await person(app, 'keeper');
  other = await person(app, 'snoop');
  secretId = await bookmarkOf(owner, {
    url: 'https://private.invalid/hidden-path',
    title: 'SECRETTITLE',
    description: 'SECRETDESCRIPTION',
    tags: ['secrettag', 'shared'],
    private: true,
  });
  await bookmarkOf(owner, {
    url: 'https://private.invalid/visible',
    title: 'PUBLICTITLE',
    tags: ['shared'],
  });
});
test.after.always(async () => {
  await app?.stop();
});

const SECRETS = /SECRETTITLE|SECRETDESCRIPTION|secrettag|hidden-path/;
const SECRET_WORDS = ['SECRETTITLE', 'SECRETDESCRIPTION', 'secrettag', 'hidden-path'];

/** The secrets a page must not show, leaving out what its own URL echoes back (a search box). */
function secretsFor(path: string): RegExp {
  const words = SECRET_WORDS.filter((w) => !path.toLowerCase().includes(w.toLowerCase()));
  return new RegExp(words.join('|'));
}

function pagesShowing(username: string): string[] {
  return [
    '/bookmarks',
    '/bookmarks?q=SECRET',
    '/bookmarks?q=hidden',
    '/bookmarks?tag=secrettag',
    '/bookmarks?q=%23secrettag',
    '/t/shared?q=%23secrettag%20hidden',
    '/bookmarks?format=markdown',
    `/u/${username}`,
    `/u/${username}?q=secret`,
    `/u/${username}?format=markdown`,
    `/u/${username}/t/shared`,
    `/u/${username}/t/secrettag`,
    '/t/',
    '/t/shared',
    '/t/secrettag',
    '/t/shared?q=SECRETDESCRIPTION',
    `/u/${username}/feed.atom`,
    `/u/${username}/t/shared/feed.atom`,
    `/u/${username}/t/secrettag/feed.atom`,
  ];
}

test('other people and anonymous visitors never see a private bookmark', async (t) => {
  for (const client of [new TestClient(app.baseUrl), other.client]) {
    for (const path of pagesShowing(owner.username)) {
      const response = await client.get(path);
      t.is(response.status, 200, path);
      t.notRegex(response.text, secretsFor(path), path);
    }
  }
  // The public one is there, so the pages did list something.
  t.regex((await other.client.get('/t/shared')).text, /PUBLICTITLE/);
});

test('the owner sees their private bookmark, marked, on their pages but not in public ones', async (t) => {
  const mine = await owner.client.get(`/u/${owner.username}`);
  t.regex(mine.text, /SECRETTITLE/);
  t.regex(mine.text, /class="bookmark is-private[ "]/);
  t.regex(mine.text, /<span class="badge"[^>]*>Private<\/span>/);
  t.regex((await owner.client.get('/t/secrettag')).text, /SECRETTITLE/);
  t.regex((await owner.client.get(`/u/${owner.username}?q=secretdesc`)).text, /SECRETTITLE/);
  t.regex((await owner.client.get('/t/')).text, /secrettag/);
  // Everyone's page and the feeds are public by definition, even to the owner.
  t.notRegex((await owner.client.get('/bookmarks')).text, SECRETS);
  t.notRegex((await owner.client.get(`/u/${owner.username}/feed.atom`)).text, SECRETS);
});

test('the API never shows someone else’s private bookmark', async (t) => {
  const token = await aToken(other.id);
  const list = await api(app.baseUrl, 'GET', `/api/v1/bookmarks?user=${owner.username}`, token);
  t.is(list.status, 200);
  t.notRegex(JSON.stringify(list.body), SECRETS);
  t.is((list.body as { total: number }).total, 1);
  const search = await api(
    app.baseUrl,
    'GET',
    `/api/v1/bookmarks?user=${owner.username}&q=SECRET&tag=secrettag`,
    token,
  );
  t.is((search.body as { total: number }).total, 0);
  const one = await api(app.baseUrl, 'GET', `/api/v1/bookmarks/${secretId}`, token);
  t.is(one.status, 404);
  t.notRegex(JSON.stringify(one.body), SECRETS);
  const ownToken = await aToken(owner.id);
  const own = await api(app.baseUrl, 'GET', '/api/v1/bookmarks?tag=secrettag', ownToken);
  t.regex(JSON.stringify(own.body), /SECRETTITLE/);
});

test('XSS payloads in title, description, tags and bio come out escaped', async (t) => {
  const me = await person(app, 'xss');
  const title = '"><script>alert("title")</script>';
  const description = '<img src=x onerror=alert(1)>';
  const tag = '<b>bold</b>';
  const saved = await me.client.post('/bookmarks/new', {
    url: 'https://xss.invalid/?q="><script>alert(1)</script>',
    title,
    description,
    tags: tag,
  });
  t.is(saved.status, 302, saved.text);
  t.is(
    (await me.client.post('/settings/profile', { bio: "<script>alert('bio')</script>" })).status,
    302,
  );
  const id = (await app.db.knex('bookmarks').where({ owner_id: me.id }).first()).id as number;
  const pages = [
    `/u/${me.username}`,
    '/bookmarks',
    `/t/${encodeURIComponent(tag)}`,
    `/u/${me.username}/t/${encodeURIComponent(tag)}`,
    '/t/',
    `/bookmarks/${id}/edit`,
    `/bookmarks/${id}/delete`,
    `/bookmarks/new?url=${encodeURIComponent('https://xss.invalid/"><script>alert(2)</script>')}&title=${encodeURIComponent(title)}`,
  ];
  for (const path of pages) {
    const response = await me.client.get(path);
    t.is(response.status, 200, path);
    t.notRegex(response.text, /<script>alert|<img src=x|<b>bold<\/b>|"><script/, path);
  }
  const profile = await me.client.get(`/u/${me.username}`);
  t.true(profile.text.includes('&quot;&gt;&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;'));
  t.true(profile.text.includes('&lt;img src=x onerror=alert(1)&gt;'));
  t.true(profile.text.includes('&lt;b&gt;bold&lt;/b&gt;'));
  t.true(profile.text.includes('&lt;script&gt;alert(&#39;bio&#39;)&lt;/script&gt;'));
  const edit = await me.client.get(`/bookmarks/${id}/edit`);
  t.true(edit.text.includes('name="title" value="&quot;&gt;&lt;script&gt;'));
});
