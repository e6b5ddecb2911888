/**
 * The API's rules for what it is sent (#17): any limit from 1 to 200, a 415
 * for a body that is not JSON, a 422 naming fields a bookmark does not have;
 * and what it adds: GET /bookmarks/check, unfurl.error, private by default.
 */
import test from 'ava';
import { setBookmarkPreferences } from '../../src/bookmarks';
import { bookmarkOf } from '../bookmarks/support';
import { startTestApp, type TestApp } from '../helpers/app';
import { api } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

interface ErrorBody {
  error: { code: string; message: string; details?: { fields?: Record<string, string> } };
}
interface ListBody {
  items: Array<{ id: number }>;
  limit: number;
  pages: number;
}

async function caller() {
  const user = await aUser();
  return { user, token: await aToken(user.id) };
}

const call = (method: string, path: string, token: string, body?: unknown) =>
  api(app.baseUrl, method, `/api/v1${path}`, token, body);

/** A request with a body of any type (api() always sends JSON). */
function send(method: string, path: string, token: string, body: string, type?: string) {
  const headers: Record<string, string> = {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
  };
  if (type) headers['content-type'] = type;
  return fetch(`${app.baseUrl}/api/v1${path}`, { method, headers, body });
}

const count = async (ownerId: number) =>
  (await app.db.knex('bookmarks').where({ owner_id: ownerId })).length;

test('limit is any whole number from 1 to 200; anything else is a 422 that says so', async (t) => {
  const { user, token } = await caller();
  for (let i = 0; i < 3; i++) await bookmarkOf(user);
  for (const limit of [1, 2, 7, 137, 200]) {
    const response = await call('GET', `/bookmarks?limit=${limit}`, token);
    t.is(response.status, 200, String(limit));
    const body = response.body as ListBody;
    t.is(body.limit, limit);
    t.is(body.items.length, Math.min(limit, 3));
    t.is(body.pages, Math.ceil(3 / limit));
  }
  for (const limit of ['0', '-1', '201', '1000', '2.5', 'ten', '1e3']) {
    const response = await call('GET', `/bookmarks?limit=${limit}`, token);
    t.is(response.status, 422, limit);
    const error = (response.body as ErrorBody).error;
    t.is(error.code, 'validation_failed');
    t.regex(error.message, /^limit: Show from 1 to 200 per page/);
  }
});

test('a body that is not application/json is a 415, and nothing is saved', async (t) => {
  const { user, token } = await caller();
  const id = await bookmarkOf(user, { url: 'https://415.invalid/kept', title: 'Kept' });
  const cases: Array<[string, string, string, string | undefined]> = [
    [
      'POST',
      '/bookmarks',
      'url=https%3A%2F%2F415.invalid%2Fform',
      'application/x-www-form-urlencoded',
    ],
    ['POST', '/bookmarks', '{"url": "https://415.invalid/text"}', 'text/plain'],
    ['POST', '/bookmarks', '{"url": "https://415.invalid/none"}', undefined],
    ['PATCH', `/bookmarks/${id}`, 'title=Changed', 'application/x-www-form-urlencoded'],
    ['PATCH', `/bookmarks/${id}`, '[{"op": "replace"}]', 'application/json-patch+json'],
    ['PUT', `/bookmarks/${id}`, '<url>x</url>', 'application/xml'],
  ];
  for (const [method, path, body, type] of cases) {
    const response = await send(method, path, token, body, type);
    const label = `${method} ${type}`;
    t.is(response.status, 415, label);
    const error = ((await response.json()) as ErrorBody).error;
    t.is(error.code, 'unsupported_media_type', label);
    t.regex(error.message, /Send the body as JSON, with Content-Type: application\/json/);
    if (method === 'POST') t.is(response.headers.get('accept-post'), 'application/json');
    if (method === 'PATCH') t.is(response.headers.get('accept-patch'), 'application/json');
  }
  t.is(await count(user.id), 1);
  t.is((await app.db.knex('bookmarks').where({ id }).first()).title, 'Kept');
  // JSON with a charset is JSON; no body at all is an empty object (a PATCH that changes nothing).
  const withCharset = await send(
    'POST',
    '/bookmarks',
    token,
    '{"url": "https://415.invalid/charset"}',
    'application/json; charset=utf-8',
  );
  t.is(withCharset.status, 201);
  t.is((await send('PATCH', `/bookmarks/${id}`, token, '')).status, 200);
});

test('fields a bookmark does not have are a 422 naming each one, on create, patch and put', async (t) => {
  const { user, token } = await caller();
  const id = await bookmarkOf(user, { url: 'https://422.invalid/kept', title: 'Kept' });
  const cases: Array<[string, string, Record<string, unknown>, string[]]> = [
    [
      'POST',
      '/bookmarks',
      { url: 'https://422.invalid/new', titel: 'Typo', tag: ['x'] },
      ['titel', 'tag'],
    ],
    ['PATCH', `/bookmarks/${id}`, { title: 'Changed', notes: 'no such field' }, ['notes']],
    [
      'PUT',
      `/bookmarks/${id}`,
      { url: 'https://422.invalid/kept', is_private: true },
      ['is_private'],
    ],
  ];
  for (const [method, path, body, unknown] of cases) {
    const response = await call(method, path, token, body);
    t.is(response.status, 422, method);
    const error = (response.body as ErrorBody).error;
    t.is(error.code, 'validation_failed');
    for (const name of unknown) t.true(error.message.includes(`"${name}"`), error.message);
    t.regex(error.message, /a bookmark has url, title, description, tags, private\.$/);
    t.deepEqual(Object.keys(error.details?.fields ?? {}).sort(), [...unknown].sort());
  }
  // A body of many unknown fields: the first 20 are named, the rest counted.
  const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, i]));
  const crowded = await call('POST', '/bookmarks', token, {
    url: 'https://422.invalid/x',
    ...many,
  });
  const error = (crowded.body as ErrorBody).error;
  t.is(crowded.status, 422);
  t.regex(error.message, /"f19" and 10 more: a bookmark has/);
  t.is(Object.keys(error.details?.fields ?? {}).length, 20);
  t.is(await count(user.id), 1);
  t.is((await app.db.knex('bookmarks').where({ id }).first()).title, 'Kept');
});

test('GET /bookmarks/check says whether you have a page, in any spelling; only yours', async (t) => {
  const { user, token } = await caller();
  const stranger = await caller();
  const id = await bookmarkOf(user, { url: 'https://check.invalid/page', title: 'Checked' });
  await bookmarkOf(stranger.user, { url: 'https://check.invalid/theirs' });
  const found = await call(
    'GET',
    `/bookmarks/check?url=${encodeURIComponent('https://CHECK.invalid/page/?utm_source=x')}`,
    token,
  );
  t.is(found.status, 200);
  t.like(found.body, { bookmark: { id, title: 'Checked', url: 'https://check.invalid/page' } });
  const mine = (url: string) =>
    call('GET', `/bookmarks/check?url=${encodeURIComponent(url)}`, token);
  t.deepEqual((await mine('https://check.invalid/other')).body, { bookmark: null });
  t.deepEqual((await mine('https://check.invalid/theirs')).body, { bookmark: null });
  const invalid = await mine('javascript:alert(1)');
  t.is(invalid.status, 422);
  t.regex((invalid.body as ErrorBody).error.message, /^url: Only http/);
  t.is((await call('GET', '/bookmarks/check', token)).status, 422);
  const anonymous = await fetch(`${app.baseUrl}/api/v1/bookmarks/check?url=https://x.invalid`);
  t.is(anonymous.status, 401);
  t.is((await call('POST', '/bookmarks/check', token, {})).status, 405);
});

test('unfurl.error says why the page could not be fetched', async (t) => {
  const { user, token } = await caller();
  const id = await bookmarkOf(user, { url: 'https://unfurl.invalid/down' });
  await app.db
    .knex('bookmarks')
    .where({ id })
    .update({ unfurl_metadata: { error: 'HTTP 503', fetched_at: '2026-05-01T10:00:00.000Z' } });
  const response = await call('GET', `/bookmarks/${id}`, token);
  t.like(response.body, { unfurl: { error: 'HTTP 503', fetched_at: '2026-05-01T10:00:00.000Z' } });
});

test('a create that leaves out private follows the owner’s “private by default”', async (t) => {
  const { user, token } = await caller();
  const create = (url: string, extra: Record<string, unknown> = {}) =>
    call('POST', '/bookmarks', token, { url, ...extra });
  t.like((await create('https://default.invalid/before')).body, { private: false });
  await setBookmarkPreferences({ userId: user.id, preferences: { privateByDefault: true } });
  t.like((await create('https://default.invalid/after')).body, { private: true });
  t.like((await create('https://default.invalid/said', { private: false })).body, {
    private: false,
  });
  // Re-saving a URL you have does not change its privacy unless asked.
  t.like((await create('https://default.invalid/before', { title: 'Again' })).body, {
    private: false,
    title: 'Again',
  });
});
