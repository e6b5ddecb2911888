import test from 'ava';
import { XMLValidator } from 'fast-xml-parser';
import { parseFeedDocument } from '../../src/feeds';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClient } from '../helpers/client';
import { bookmarkOf, person } from './support';

// Web only: unfurl jobs stay queued, so what a page shows is what the test saved.
let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

const titles = (html: string) =>
  [...html.matchAll(/<h2><a href="[^"]*" rel="nofollow noopener ugc">([^<]*)<\/a><\/h2>/g)].map(
    (m) => m[1],
  );

test('the form pre-fills from the query and keeps popup, next and via', async (t) => {
  const { client } = await person(app);
  const page = await client.get(
    '/bookmarks/new?url=https%3A%2F%2Fprefill.invalid%2Fp&title=Given%20title&description=Picked%20text&tags=one%20two,three&popup=1&next=close&via=bookmarklet',
  );
  t.is(page.status, 200);
  t.regex(page.text, /<body class="popup">/);
  t.regex(page.text, /name="url" value="https:\/\/prefill.invalid\/p"/);
  t.regex(page.text, /name="title" value="Given title"/);
  t.regex(page.text, /<textarea [^>]*name="description"[^>]*>Picked text<\/textarea>/);
  t.regex(page.text, /name="tags" value="one two three"/);
  t.regex(page.text, /name="next" value="close"/);
  t.regex(page.text, /name="popup" value="1"/);
  t.regex(page.text, /name="via" value="bookmarklet"/);
  t.regex(page.text, /action="\/bookmarks\/new"/);
  const plain = await client.get('/bookmarks/new');
  t.regex(plain.text, /<body class="">/);
  t.notRegex(plain.text, /name="next"/);
});

test('anonymous visitors are sent to log in first, and come back to the form', async (t) => {
  const response = await new TestClient(app.baseUrl).get(
    '/bookmarks/new?url=https%3A%2F%2Fx.invalid',
  );
  t.is(response.status, 302);
  t.is(
    response.location,
    `/auth/login?next=${encodeURIComponent('/bookmarks/new?url=https%3A%2F%2Fx.invalid')}`,
  );
});

test('saving adds the bookmark and shows it on the profile; a known URL edits it instead', async (t) => {
  const me = await person(app);
  const saved = await me.client.post('/bookmarks/new', {
    url: 'https://Save.invalid/article/?utm_source=feed',
    title: 'An article',
    description: 'Worth reading',
    tags: 'Reading, web',
  });
  t.is(saved.status, 302, saved.text);
  t.is(saved.location, `/u/${me.username}`);
  const profile = await me.client.get(`/u/${me.username}`);
  t.regex(profile.text, /Bookmark saved\./);
  t.deepEqual(titles(profile.text), ['An article']);
  t.regex(profile.text, new RegExp(`href="/u/${me.username}/t/reading">reading<`));

  // Another spelling of the same page: the form edits the existing bookmark.
  const again = await me.client.get(
    `/bookmarks/new?url=${encodeURIComponent('https://save.invalid/article')}&title=Other`,
  );
  const id = /action="\/bookmarks\/(\d+)\/edit"/.exec(again.text)?.[1];
  t.truthy(id, again.text);
  t.regex(again.text, /You saved this page on/);
  t.regex(again.text, /name="title" value="An article"/);
  // Posting the same URL to /bookmarks/new never duplicates it (resave tests: resave.test.ts).
  const resaved = await me.client.post('/bookmarks/new', {
    url: 'https://save.invalid/article',
    tags: 'web more',
  });
  t.is(resaved.status, 302);
  const after = await me.client.get(`/u/${me.username}`);
  t.regex(after.text, /You already had this page \(saved on [\d-]+\): added the tag “more”\./);
  t.deepEqual(titles(after.text), ['An article']);
  t.is((await app.db.knex('bookmarks').where({ owner_id: me.id })).length, 1);
});

test('next=same goes back to the page, next=close shows a closing page, next=profile the profile', async (t) => {
  const me = await person(app);
  // next=same: through a page of ours (a redirect answering the POST would
  // break Chromium's form-action CSP), which goes on to the page itself.
  const same = await me.client.post('/bookmarks/new', {
    url: 'https://next.invalid/same',
    next: 'same',
  });
  t.is(same.status, 302);
  t.regex(same.location ?? '', /^\/bookmarks\/\d+\/saved$/);
  const back = await me.client.get(same.location!);
  t.is(back.status, 200);
  t.regex(back.text, /<meta http-equiv="refresh" content="0; url=https:\/\/next.invalid\/same">/);
  t.regex(back.text, /href="https:\/\/next.invalid\/same"[^>]*>Back to the page</);
  t.notRegex(back.text, /close-window\.js/);
  // Only for the owner: anyone else gets the owner-only answer, not a way to their page.
  const stranger = await person(app);
  const refused = await stranger.client.get(same.location!);
  t.is(refused.status, 403);
  t.notRegex(refused.text, /http-equiv="refresh"/);
  const close = await me.client.post('/bookmarks/new', {
    url: 'https://next.invalid/close',
    title: 'Closing',
    next: 'close',
    popup: '1',
  });
  t.is(close.status, 200);
  t.regex(close.text, /<body class="popup">/);
  t.regex(close.text, /data-testid="saved"/);
  t.regex(close.text, /You can close this window/);
  t.regex(close.text, /<script src="\/static\/close-window.js" defer><\/script>/);
  const profile = await me.client.post('/bookmarks/new', {
    url: 'https://next.invalid/profile',
    next: 'profile',
  });
  t.is(profile.location, `/u/${me.username}`);
  // Anything else is ignored (no open redirect through next).
  const evil = await me.client.post('/bookmarks/new', {
    url: 'https://next.invalid/evil',
    next: '//evil.invalid/',
  });
  t.is(evil.location, `/u/${me.username}`);
});

test('form errors say what to fix, keep what was typed and save nothing', async (t) => {
  const me = await person(app);
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ url: '' }, /Enter a URL\./],
    [{ url: 'javascript:alert(1)' }, /Only http:\/\/ and https:\/\/ URLs can be bookmarked\./],
    [{ url: 'not a url at all' }, /That is not a valid URL/],
    [{ url: 'https://e.invalid/', title: 'x'.repeat(256) }, /Titles are at most 255 characters\./],
    [{ url: 'https://e.invalid/', tags: `ok ${'t'.repeat(65)}` }, /Tags are at most 64 characters/],
  ];
  for (const [form, message] of cases) {
    const response = await me.client.post('/bookmarks/new', {
      description: 'kept text',
      ...form,
    });
    t.is(response.status, 422, JSON.stringify(form));
    t.regex(response.text, message);
    t.regex(response.text, /fix the fields marked below/);
    t.regex(response.text, /kept text<\/textarea>/);
  }
  t.is((await app.db.knex('bookmarks').where({ owner_id: me.id })).length, 0);
});

test('edit and delete: the form is pre-filled, changes are saved, delete asks first', async (t) => {
  const me = await person(app);
  const id = await bookmarkOf(me, {
    url: 'https://edit.invalid/a',
    title: 'Before',
    tags: ['old'],
  });
  const other = await bookmarkOf(me, { url: 'https://edit.invalid/b' });
  const form = await me.client.get(`/bookmarks/${id}/edit`);
  t.is(form.status, 200);
  t.regex(form.text, /name="title" value="Before"/);
  t.regex(form.text, /name="tags" value="old"/);
  const saved = await me.client.post(`/bookmarks/${id}/edit`, {
    url: 'https://edit.invalid/a',
    title: 'After',
    tags: 'new',
    private: 'on',
  });
  t.is(saved.status, 302);
  const row = await app.db.knex('bookmarks').where({ id }).first();
  t.is(row.title, 'After');
  t.true(row.private);

  const clash = await me.client.post(`/bookmarks/${id}/edit`, { url: 'https://edit.invalid/b/' });
  t.is(clash.status, 409);
  t.regex(clash.text, /You already have a bookmark for that URL/);
  t.is((await app.db.knex('bookmarks').where({ id: other }).first()).url, 'https://edit.invalid/b');

  const invalid = await me.client.post(`/bookmarks/${id}/edit`, { url: 'ftp://x' });
  t.is(invalid.status, 422);

  const confirm = await me.client.get(`/bookmarks/${id}/delete`);
  t.is(confirm.status, 200);
  t.regex(confirm.text, /Delete this bookmark\?/);
  t.regex(confirm.text, /After/);
  const deleted = await me.client.post(`/bookmarks/${id}/delete`);
  t.is(deleted.status, 302);
  t.is(deleted.location, `/u/${me.username}`);
  t.is(await app.db.knex('bookmarks').where({ id }).first(), undefined);
  t.is((await me.client.get(`/bookmarks/${id}/edit`)).status, 404);
  t.is((await me.client.get('/bookmarks/abc/edit')).status, 404);
});

test('lists take q, sort, since, limit and page; bad values answer with what is allowed', async (t) => {
  const me = await person(app, 'lister');
  for (let i = 1; i <= 12; i++) {
    await bookmarkOf(me, {
      url: `https://list.invalid/${i}`,
      title: `Item ${String(i).padStart(2, '0')}`,
    });
  }
  const base = `/u/${me.username}`;
  const first = await me.client.get(`${base}?sort=title&limit=10`);
  t.is(titles(first.text).length, 10);
  t.is(titles(first.text)[0], 'Item 01');
  t.regex(first.text, /12 bookmarks/);
  t.regex(first.text, /Page 1 of 2/);
  t.regex(first.text, /href="\/u\/lister\d+\?sort=title&amp;limit=10&amp;page=2" rel="next"/);
  const second = await me.client.get(`${base}?sort=title&limit=10&page=2`);
  t.deepEqual(titles(second.text), ['Item 11', 'Item 12']);
  t.deepEqual(titles((await me.client.get(`${base}?q=item 07`)).text), ['Item 07']);
  t.is(titles((await me.client.get(`${base}?limit=25&sort=title_desc`)).text)[0], 'Item 12');
  t.is(titles((await me.client.get(`${base}?since=1 day`)).text).length, 10);
  t.regex(
    (await me.client.get(`${base}?since=2999-01-01`)).text,
    /No bookmarks match these filters/,
  );
  // What the filter form sends with blank fields.
  const blank = await me.client.get(`${base}?q=&sort=&since=&limit=&page=&tag=`);
  t.is(blank.status, 200, blank.text);
  t.is(titles(blank.text).length, 10);
  // Any page size from 1 to 200, like the API; the menu offers the usual five and keeps this one.
  const oddLimit = await me.client.get(`${base}?limit=3`);
  t.is(titles(oddLimit.text).length, 3);
  t.regex(oddLimit.text, /<option value="3" selected>3 per page<\/option>/);
  for (const limit of ['0', '201', '2.5', 'ten']) {
    const badLimit = await me.client.get(`${base}?limit=${limit}`);
    t.is(badLimit.status, 422, limit);
    t.regex(badLimit.text, /Show from 1 to 200 per page/);
  }
  const badSince = await me.client.get(`${base}?since=someday`);
  t.is(badSince.status, 422);
  t.regex(badSince.text, /duration such as &quot;2 days&quot;/);
  t.is((await me.client.get(`${base}?sort=random`)).status, 422);
  t.is((await me.client.get(`${base}?page=0`)).status, 422);
  const beyond = await me.client.get(`${base}?page=9`);
  t.is(beyond.status, 200);
  t.regex(beyond.text, /There is no page 9/);
});

test('?format=markdown lists the bookmarks as Markdown grouped by day', async (t) => {
  const me = await person(app);
  const a = await bookmarkOf(me, {
    url: 'https://md.invalid/a_(b)',
    title: 'A [title]',
    description: 'Line one\nline two',
    tags: ['x'],
  });
  const b = await bookmarkOf(me, { url: 'https://md.invalid/b', title: 'Older' });
  await app.db
    .knex('bookmarks')
    .where({ id: a })
    .update({ created_at: new Date('2024-05-02T10:00:00Z') });
  await app.db
    .knex('bookmarks')
    .where({ id: b })
    .update({ created_at: new Date('2024-05-01T10:00:00Z') });
  const response = await me.client.get(`/u/${me.username}?format=markdown`);
  t.is(response.status, 200);
  t.regex(response.headers.get('content-type') ?? '', /^text\/markdown; charset=utf-8/);
  t.is(
    response.text,
    [
      `# ${me.username}’s bookmarks`,
      '',
      '## 2024-05-02',
      '',
      '- [A \\[title\\]](https://md.invalid/a_%28b%29) — Line one line two #x',
      '',
      '## 2024-05-01',
      '',
      '- [Older](https://md.invalid/b)',
      '',
    ].join('\n'),
  );
  const everyone = await new TestClient(app.baseUrl).get('/bookmarks?format=markdown&q=Older');
  t.regex(everyone.text, /^# Everyone’s public bookmarks\n\n## 2024-05-01\n\n- \[Older\]/);
});

test('Atom feeds are valid Atom 1.0 with escaped content, public bookmarks only', async (t) => {
  const me = await person(app, 'atomic');
  await bookmarkOf(me, {
    url: 'https://atom.invalid/1?a=1&b=2',
    title: 'Fish & <chips> "quoted" \u0001',
    description: '<script>alert(1)</script> & more',
    tags: ['food', 'r&d'],
  });
  await bookmarkOf(me, {
    url: 'https://atom.invalid/2',
    title: 'Secret',
    private: true,
    tags: ['food'],
  });
  for (const path of [`/u/${me.username}/feed.atom`, `/u/${me.username}/t/food/feed.atom`]) {
    const response = await fetch(`${app.baseUrl}${path}`);
    t.is(response.status, 200);
    t.regex(response.headers.get('content-type') ?? '', /^application\/atom\+xml/);
    const xml = await response.text();
    t.is(XMLValidator.validate(xml), true, xml);
    t.regex(xml, /<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/);
    t.regex(xml, /^ {2}<id>[^<]+<\/id>$/m);
    t.regex(xml, /^ {2}<title type="text">[^<]+<\/title>$/m);
    t.regex(xml, /^ {2}<updated>\d{4}-\d\d-\d\dT[\d:.]+Z<\/updated>$/m);
    t.is((xml.match(/<entry>/g) ?? []).length, 1);
    t.regex(xml, /<entry>\n {4}<id>tag:[^<]+<\/id>\n {4}<title type="text">/);
    t.regex(xml, /Fish &amp; &lt;chips&gt; &quot;quoted&quot; </);
    t.regex(xml, /&lt;script&gt;alert\(1\)&lt;\/script&gt; &amp; more/);
    t.regex(xml, /href="https:\/\/atom.invalid\/1\?a=1&amp;b=2"/);
    t.regex(xml, /<category term="r&amp;d"\/>/);
    t.false(xml.includes('Secret'));
    // And a feed reader reads it back: the app's own feed parser.
    const parsed = parseFeedDocument(xml, 'application/atom+xml');
    t.is(parsed.format, 'atom');
    t.is(parsed.items.length, 1);
    t.is(parsed.items[0]!.title, 'Fish & <chips> "quoted"');
    t.is(parsed.items[0]!.link, 'https://atom.invalid/1?a=1&b=2');
  }
  // An empty feed is still valid (it needs an <updated> of its own).
  const empty = await me.client.get(`/u/${me.username}/t/none/feed.atom`);
  t.is(XMLValidator.validate(empty.text), true);
  t.regex(empty.text, /<updated>/);
  t.is((await new TestClient(app.baseUrl).get('/u/nobody-at-all/feed.atom')).status, 404);
});

test('the profile shows the bio; its owner gets edit, tokens and the bookmarklets', async (t) => {
  const me = await person(app);
  t.is((await me.client.post('/settings/profile', { bio: 'I collect links.' })).status, 302);
  const own = await me.client.get(`/u/${me.username}`);
  t.regex(own.text, /<p class="bio">I collect links\.<\/p>/);
  t.regex(own.text, /href="\/settings#profile">Edit profile</);
  t.regex(own.text, /href="\/settings\/tokens">API tokens</);
  t.regex(own.text, /You have no bookmarks yet\./);
  const plain =
    /data-testid="bookmarklet" href="([^"]+)"|href="([^"]+)" data-testid="bookmarklet"/.exec(
      own.text,
    );
  t.truthy(plain, own.text);
  const href = (plain![1] ?? plain![2])!
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
  t.true(href.startsWith('javascript:'));
  t.true(href.includes(`${app.baseUrl}/bookmarks/new?`));
  t.true(href.includes('next=same'));
  t.regex(own.text, /data-testid="bookmarklet-popup"/);
  t.regex(own.text, /popup=1&amp;|popup=1&/);
  t.is((await me.client.get('/settings')).status, 200);

  const stranger = await new TestClient(app.baseUrl).get(`/u/${me.username}`);
  t.is(stranger.status, 200);
  t.regex(stranger.text, /I collect links\./);
  t.notRegex(stranger.text, /Edit profile|bookmarklet|API tokens/);
  t.regex(stranger.text, /has no public bookmarks yet\./);
  t.is((await me.client.get('/u/no-such-person')).status, 404);
});

test('empty states say what to do', async (t) => {
  const anon = new TestClient(app.baseUrl);
  const tag = await anon.get('/t/never-used-tag');
  t.regex(tag.text, /No bookmarks with this tag yet\. Tags are added on the bookmark form/);
  const search = await anon.get('/bookmarks?q=zzzz-nothing-matches');
  t.regex(search.text, /No bookmarks match these filters\. Try fewer words/);
  t.regex(search.text, /href="\/bookmarks">clear the filters/);
});

test('the tag index pages through tags with counts', async (t) => {
  const me = await person(app);
  const tags = Array.from({ length: 105 }, (_, i) => `idx${String(i).padStart(3, '0')}`);
  await bookmarkOf(me, { url: 'https://tags.invalid/many', tags });
  const first = await me.client.get('/t/');
  t.is(first.status, 200);
  t.regex(first.text, /href="\/t\/idx000">idx000<\/a> <span class="muted">1<\/span>/);
  t.regex(first.text, /rel="next"/);
  const total = (await app.db.knex('tags').countDistinct({ n: 'name' }).first())!.n as number;
  const last = await me.client.get(`/t/?page=${Math.ceil(total / 100)}`);
  t.regex(last.text, /idx104/);
  t.is((await me.client.get('/t')).status, 200);
});
