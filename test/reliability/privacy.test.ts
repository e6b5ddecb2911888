/**
 * Private bookmarks in no public output, whichever way they were made private:
 * the form, the API, an edit that makes a public one private, and an import
 * with "private" ticked. Swept as an anonymous visitor and as another user:
 * every public page, Atom, Markdown, the tag index, the API, that user's own
 * exports, /feeds/get, and the /metrics scrape (labels included). The owner
 * does see them, so the sweep is known to look in the right places. (Pages
 * and API in depth: test/bookmarks/privacy.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { api } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { scrape } from '../helpers/metrics';
import { uploadRaw, waitForJob } from '../imports/support';
import { type Session, signIn, waitFor } from './support';

let app: TestApp;
let dataDir: string;
let owner: Session;
let other: Session;
let ownerToken: string;
let otherToken: string;

/** Every private bookmark's words: title, URL path, description, tag. */
const MARKS = ['privform', 'privapi', 'privflip', 'privimport'];

test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-privacy-'));
  app = await startTestApp({ DATA_DIR: dataDir });
  const ownerUser = await aUser({ username: 'privowner' });
  const otherUser = await aUser({ username: 'privother' });
  ownerToken = await aToken(ownerUser.id);
  otherToken = await aToken(otherUser.id);
  owner = await signIn(app.baseUrl, 'privowner');
  other = await signIn(app.baseUrl, 'privother');

  const fields = (mark: string) => ({
    url: `https://${mark}.invalid/${mark}-path`,
    title: `${mark}-title`,
    description: `${mark}-description`,
  });
  // 1. The form, with the box ticked.
  const form = await fetch(`${app.baseUrl}/bookmarks/new`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: owner.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      ...fields('privform'),
      tags: 'privform-tag shared',
      private: 'on',
      _csrf: owner.csrf,
    }).toString(),
  });
  if (form.status !== 302) throw new Error(`form: ${form.status}`);
  // 2. The API.
  const created = await api(app.baseUrl, 'POST', '/api/v1/bookmarks', ownerToken, {
    ...fields('privapi'),
    tags: ['privapi-tag', 'shared'],
    private: true,
  });
  if (created.status !== 201) throw new Error(`api: ${created.status}`);
  // 3. Public first (seen by everyone), then made private.
  const flip = await api(app.baseUrl, 'POST', '/api/v1/bookmarks', ownerToken, {
    ...fields('privflip'),
    tags: ['privflip-tag', 'shared'],
  });
  const flipId = (flip.body as { id: number }).id;
  const seen = await fetch(`${app.baseUrl}/u/privowner`);
  if (!(await seen.text()).includes('privflip-title')) throw new Error('not public at first');
  await api(app.baseUrl, 'PATCH', `/api/v1/bookmarks/${flipId}`, ownerToken, { private: true });
  // 4. An import with "private" set.
  const upload = await uploadRaw(
    app.baseUrl,
    ownerToken,
    `<DT><A HREF="https://privimport.invalid/privimport-path" TAGS="privimport-tag,shared">privimport-title</A>\n<DD>privimport-description\n`,
    '?private=true',
  );
  await waitForJob(app.baseUrl, ownerToken, upload.json.id);
  // And one public bookmark, so that public pages have something to show.
  await api(app.baseUrl, 'POST', '/api/v1/bookmarks', ownerToken, {
    url: 'https://public.invalid/',
    title: 'public-title',
    tags: ['shared'],
  });
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

/** The marks found in `text`, leaving out `echo` (what the page's own URL says back). */
const leaked = (text: string, echo?: string) => {
  const lower = (echo ? text.split(echo).join('') : text).toLowerCase();
  return MARKS.filter((mark) => lower.includes(mark));
};

const PUBLIC_PAGES = [
  '/',
  '/bookmarks',
  '/bookmarks?q=priv',
  '/bookmarks?format=markdown',
  '/bookmarks?tag=shared',
  '/u/privowner',
  '/u/privowner?q=priv',
  '/u/privowner?format=markdown',
  '/u/privowner/feed.atom',
  '/u/privowner/t/shared',
  '/u/privowner/t/shared/feed.atom',
  '/t',
  '/t/',
  '/t/shared',
  '/t/shared?format=markdown',
  '/feeds/get?urls=https://privform.invalid/privform-path',
];

async function text(target: string, headers: Record<string, string> = {}): Promise<string> {
  const response = await fetch(`${app.baseUrl}${target}`, { headers, redirect: 'manual' });
  return `${response.status} ${await response.text()}`;
}

test('anonymous visitors and other users see no private bookmark on any public page', async (t) => {
  for (const [who, headers] of [
    ['anonymous', {}],
    ['other', { cookie: other.cookie }],
  ] as const) {
    for (const target of PUBLIC_PAGES) {
      const body = await text(target, headers);
      t.deepEqual(leaked(body), [], `${target} as ${who}`);
    }
    // The private-only tags have no public page either.
    for (const mark of MARKS) {
      const tag = `${mark}-tag`;
      t.deepEqual(leaked(await text(`/t/${tag}`, headers), tag), [], `/t/${tag} as ${who}`);
      t.deepEqual(leaked(await text(`/u/privowner/t/${tag}`, headers), tag), []);
      t.deepEqual(leaked(await text(`/u/privowner/t/${tag}/feed.atom`, headers), tag), []);
    }
  }
  t.regex(await text('/u/privowner'), /public-title/, 'public pages did list something');
});

test('the API and the other user’s own exports never carry them', async (t) => {
  for (const target of [
    '/api/v1/bookmarks?user=privowner',
    '/api/v1/bookmarks?user=privowner&q=priv',
    '/api/v1/bookmarks?user=privowner&tag=shared',
    '/api/v1/bookmarks?q=priv',
  ]) {
    const { body } = await api(app.baseUrl, 'GET', target, otherToken);
    t.deepEqual(leaked(JSON.stringify(body)), [], target);
  }
  const ids = await app.db.knex('bookmarks').where({ private: true }).pluck('id');
  t.is(ids.length, MARKS.length, 'each way of making one private made one');
  for (const id of ids) {
    const one = await api(app.baseUrl, 'GET', `/api/v1/bookmarks/${id}`, otherToken);
    t.is(one.status, 404);
  }
  for (const file of ['netscape.html', 'activitystream.json', 'bookmarks.opml']) {
    t.deepEqual(leaked(await text(`/bookmarks/export/${file}`, { cookie: other.cookie })), []);
    // The owner's own export has them all: the sweep looks in the right place.
    t.deepEqual(leaked(await text(`/bookmarks/export/${file}`, { cookie: owner.cookie })), MARKS);
  }
  const mine = await api(app.baseUrl, 'GET', '/api/v1/bookmarks?q=priv', ownerToken);
  t.deepEqual(leaked(JSON.stringify(mine.body)), MARKS);
});

test('the /metrics scrape names no bookmark, tag, URL or title', async (t) => {
  // Let the unfurl jobs of the new bookmarks run: their metrics are in the scrape too.
  // (.invalid hosts: each unfurl ends in a DNS failure, which may be slow where DNS is.)
  await waitFor(
    'queued jobs to finish',
    async () => {
      const rows = await app.db.knex('graphile_worker.jobs').count('* as n');
      return Number(rows[0]!.n) === 0;
    },
    60_000,
  );
  const metrics = await scrape(app.baseUrl);
  t.regex(metrics, /bookmarks_created_total/, 'the scrape has the bookmark metrics');
  t.deepEqual(
    leaked(metrics),
    [],
    metrics
      .split('\n')
      .filter((l) => /priv/i.test(l))
      .join('\n'),
  );
  t.notRegex(metrics, /\.invalid|public-title|privowner/);
});

test('what a signed-in user or a token gets is marked private for caches; anonymous pages are not', async (t) => {
  const page = await fetch(`${app.baseUrl}/u/privowner`, { headers: { cookie: owner.cookie } });
  t.is(page.status, 200);
  t.is(page.headers.get('cache-control'), 'private');
  const apiList = await fetch(`${app.baseUrl}/api/v1/bookmarks`, {
    headers: { authorization: `Bearer ${ownerToken}` },
  });
  t.is(apiList.headers.get('cache-control'), 'private');
  const anonymous = await fetch(`${app.baseUrl}/u/privowner`);
  t.is(anonymous.status, 200);
  t.is(anonymous.headers.get('cache-control'), null);
});
