/**
 * The JSON API: bearer tokens, the same validation and scoping as the pages,
 * JSON errors with the right status, and the full authorization matrix.
 */
import test from 'ava';
import { bookmarkOf } from '../bookmarks/support';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';

let app: TestApp;
let owner: { id: number; username: string };
let other: { id: number; username: string };
let ownerToken: string;
let otherToken: string;

test.before(async () => {
  app = await startTestApp({}, 'web');
  owner = await aUser();
  other = await aUser();
  ownerToken = await aToken(owner.id);
  otherToken = await aToken(other.id);
});
test.after.always(async () => {
  await app?.stop();
});

interface ErrorBody {
  error: { code: string; message: string };
}
interface BookmarkBody {
  id: number;
  url: string;
  title: string;
  description: string;
  tags: string[];
  private: boolean;
  owner: string;
}
interface ListBody {
  items: BookmarkBody[];
  total: number;
  page: number;
  limit: number;
  pages: number;
  next: string | null;
  prev: string | null;
}

const call = (method: string, path: string, token: string | undefined, body?: unknown) =>
  api(app.baseUrl, method, `/api/v1${path}`, token, body);

function errorOf(body: unknown): ErrorBody['error'] {
  return (body as ErrorBody).error;
}

test('create answers 201 with Location and exactly the presented fields', async (t) => {
  const response = await call('POST', '/bookmarks', ownerToken, {
    url: 'https://api.invalid/create',
    title: 'Created',
    description: 'Through the API',
    tags: ['One', 'two'],
    private: true,
  });
  t.is(response.status, 201);
  const body = response.body as BookmarkBody & Record<string, unknown>;
  t.is(response.headers.get('location'), `/api/v1/bookmarks/${body.id}`);
  t.deepEqual(Object.keys(body).sort(), [
    'created_at',
    'description',
    'feed_url',
    'id',
    'owner',
    'private',
    'tags',
    'title',
    'unfurl',
    'updated_at',
    'url',
  ]);
  t.like(body, {
    url: 'https://api.invalid/create',
    title: 'Created',
    description: 'Through the API',
    tags: ['one', 'two'],
    private: true,
    owner: owner.username,
    feed_url: null,
    unfurl: null,
  });
  // Tags may also be one string, as in the form.
  const asString = await call('POST', '/bookmarks', ownerToken, {
    url: 'https://api.invalid/tag-string',
    tags: 'a b,c',
  });
  t.deepEqual((asString.body as BookmarkBody).tags, ['a', 'b', 'c']);
});

test('posting a URL you already have updates that bookmark (200, same id)', async (t) => {
  const first = await call('POST', '/bookmarks', ownerToken, { url: 'https://api.invalid/again/' });
  const again = await call('POST', '/bookmarks', ownerToken, {
    url: 'https://API.invalid/again?utm_medium=x',
    title: 'Updated',
  });
  t.is(first.status, 201);
  t.is(again.status, 200);
  t.is((again.body as BookmarkBody).id, (first.body as BookmarkBody).id);
  t.is((again.body as BookmarkBody).title, 'Updated');
});

test('get, patch, put and delete one bookmark', async (t) => {
  const created = await call('POST', '/bookmarks', ownerToken, {
    url: 'https://api.invalid/crud',
    title: 'T',
    description: 'D',
    tags: ['x'],
  });
  const id = (created.body as BookmarkBody).id;
  t.is((await call('GET', `/bookmarks/${id}`, ownerToken)).status, 200);
  const patched = await call('PATCH', `/bookmarks/${id}`, ownerToken, { title: 'T2' });
  t.is(patched.status, 200);
  t.like(patched.body as BookmarkBody, { title: 'T2', description: 'D', tags: ['x'] });
  const put = await call('PUT', `/bookmarks/${id}`, ownerToken, {
    url: 'https://api.invalid/crud2',
  });
  t.is(put.status, 200);
  t.like(put.body as BookmarkBody, {
    url: 'https://api.invalid/crud2',
    title: '',
    description: '',
    tags: [],
    private: false,
  });
  const removed = await call('DELETE', `/bookmarks/${id}`, ownerToken);
  t.is(removed.status, 204);
  t.is((await call('GET', `/bookmarks/${id}`, ownerToken)).status, 404);
  t.is((await call('DELETE', `/bookmarks/${id}`, ownerToken)).status, 404);
});

test('list: filters, total count and paging links', async (t) => {
  const user = await aUser();
  const token = await aToken(user.id);
  for (let i = 1; i <= 5; i++) {
    await bookmarkOf(user, {
      url: `https://list.invalid/${i}`,
      title: `Note ${i}`,
      tags: i % 2 ? ['odd', 'all'] : ['even', 'all'],
    });
  }
  const page1 = await call('GET', '/bookmarks?limit=10&sort=title', token);
  t.is(page1.status, 200);
  const body = page1.body as ListBody;
  t.is(body.total, 5);
  t.is(body.pages, 1);
  t.is(body.next, null);
  t.deepEqual(
    body.items.map((b) => b.title),
    ['Note 1', 'Note 2', 'Note 3', 'Note 4', 'Note 5'],
  );
  const tagged = (await call('GET', '/bookmarks?tag=odd&tag=all', token)).body as ListBody;
  t.is(tagged.total, 3);
  t.is(((await call('GET', '/bookmarks?tag=odd&tag=even', token)).body as ListBody).total, 0);
  const searched = (await call('GET', '/bookmarks?q=note%204', token)).body as ListBody;
  t.deepEqual(
    searched.items.map((b) => b.title),
    ['Note 4'],
  );
  t.is(((await call('GET', '/bookmarks?since=2999-01-01', token)).body as ListBody).total, 0);
  t.is(((await call('GET', '/bookmarks?since=1%20hour', token)).body as ListBody).total, 5);
  // Paging: 12 bookmarks, 10 a page.
  for (let i = 6; i <= 12; i++) await bookmarkOf(user, { url: `https://list.invalid/${i}` });
  const first = (await call('GET', '/bookmarks?sort=date_asc', token)).body as ListBody;
  t.like(first, { total: 12, page: 1, limit: 10, pages: 2, prev: null });
  t.is(first.next, '/api/v1/bookmarks?sort=date_asc&page=2');
  const second = (await call('GET', first.next!.replace('/api/v1', ''), token)).body as ListBody;
  t.is(second.items.length, 2);
  t.is(second.prev, '/api/v1/bookmarks?sort=date_asc');
});

test('list: your own by default, ?user= for someone else’s public ones', async (t) => {
  await bookmarkOf(other, { url: 'https://scope.invalid/pub', title: 'their public' });
  await bookmarkOf(other, {
    url: 'https://scope.invalid/priv',
    title: 'their private',
    private: true,
  });
  const mine = (await call('GET', '/bookmarks?limit=200', ownerToken)).body as ListBody;
  t.true(mine.items.every((b) => b.owner === owner.username));
  const theirs = (await call('GET', `/bookmarks?user=${other.username}`, ownerToken))
    .body as ListBody;
  t.deepEqual(
    theirs.items.map((b) => b.title),
    ['their public'],
  );
  t.is((await call('GET', '/bookmarks?user=nobody-by-that-name', ownerToken)).status, 404);
});

test('errors: JSON {error: {code, message}} with the right status', async (t) => {
  const cases: Array<[string, string, unknown, number, string, RegExp]> = [
    ['POST', '/bookmarks', '{"url": ', 400, 'bad_request', /could not be parsed/],
    ['POST', '/bookmarks', [1, 2], 400, 'bad_request', /must be a JSON object/],
    ['POST', '/bookmarks', {}, 422, 'validation_failed', /url: Enter a URL/],
    ['POST', '/bookmarks', { url: 'javascript:alert(1)' }, 422, 'validation_failed', /Only http/],
    [
      'POST',
      '/bookmarks',
      { url: 'https://e.invalid', title: 'x'.repeat(300) },
      422,
      'validation_failed',
      /title: Titles are at most 255/,
    ],
    [
      'POST',
      '/bookmarks',
      { url: 'https://e.invalid', private: 'yes' },
      422,
      'validation_failed',
      /private is true or false/,
    ],
    [
      'POST',
      '/bookmarks',
      { url: 'https://e.invalid', tags: [1] },
      422,
      'validation_failed',
      /tags/,
    ],
    [
      'POST',
      '/bookmarks',
      { url: 'https://e.invalid', tags: 'y'.repeat(65) },
      422,
      'validation_failed',
      /at most 64/,
    ],
    [
      'GET',
      '/bookmarks?limit=201',
      undefined,
      422,
      'validation_failed',
      /limit: Show from 1 to 200 per page/,
    ],
    ['GET', '/bookmarks?since=soon', undefined, 422, 'validation_failed', /since: Use an ISO date/],
    ['GET', '/bookmarks?sort=best', undefined, 422, 'validation_failed', /sort: Sort by one of/],
    ['GET', '/bookmarks/abc', undefined, 404, 'not_found', /no such bookmark/],
    ['GET', '/bookmarks/123456789', undefined, 404, 'not_found', /no such bookmark/],
    ['GET', '/nothing-here', undefined, 404, 'not_found', /nothing at this address/],
    ['POST', '/bookmarks/1', {}, 405, 'method_not_allowed', /takes GET, PATCH, PUT, DELETE/],
    ['DELETE', '/bookmarks', undefined, 405, 'method_not_allowed', /takes GET, POST/],
  ];
  for (const [method, path, body, status, code, message] of cases) {
    const response = await call(method, path, ownerToken, body);
    t.is(response.status, status, `${method} ${path} ${JSON.stringify(body)?.slice(0, 80)}`);
    t.is(errorOf(response.body).code, code);
    t.regex(errorOf(response.body).message, message);
  }
});

test('a body over 1 MB answers 413', async (t) => {
  const response = await call('POST', '/bookmarks', ownerToken, {
    url: 'https://big.invalid/',
    description: 'x'.repeat(1_100_000),
  });
  t.is(response.status, 413);
  t.is(errorOf(response.body).code, 'payload_too_large');
});

test('changing the URL to one you already have is a 409 conflict', async (t) => {
  await call('POST', '/bookmarks', ownerToken, { url: 'https://conflict.invalid/a' });
  const b = await call('POST', '/bookmarks', ownerToken, { url: 'https://conflict.invalid/b' });
  const id = (b.body as BookmarkBody).id;
  for (const method of ['PATCH', 'PUT']) {
    const response = await call(method, `/bookmarks/${id}`, ownerToken, {
      url: 'https://conflict.invalid/a/',
    });
    t.is(response.status, 409, method);
    t.is(errorOf(response.body).code, 'conflict');
  }
});

test('no token, a bad token or a malformed header is a 401 on every endpoint', async (t) => {
  const id = await bookmarkOf(owner, { url: 'https://auth.invalid/x' });
  const endpoints: Array<[string, string]> = [
    ['GET', '/bookmarks'],
    ['POST', '/bookmarks'],
    ['GET', `/bookmarks/${id}`],
    ['PATCH', `/bookmarks/${id}`],
    ['PUT', `/bookmarks/${id}`],
    ['DELETE', `/bookmarks/${id}`],
  ];
  for (const [method, path] of endpoints) {
    for (const token of [undefined, 'pc_not-a-real-token', 'garbage']) {
      const body =
        method === 'GET' || method === 'DELETE' ? undefined : { url: 'https://auth.invalid/y' };
      const response = await call(method, path, token, body);
      t.is(response.status, 401, `${method} ${path} ${token}`);
      t.is(errorOf(response.body).code, 'unauthorized');
    }
    const malformed = await fetch(`${app.baseUrl}/api/v1${path}`, {
      method,
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    });
    t.is(malformed.status, 401);
  }
  t.truthy(await app.db.knex('bookmarks').where({ id }).first());
});

type Actor = 'anonymous' | 'owner' | 'other';
type Visibility = 'public' | 'private';
const tokenOf = (actor: Actor) =>
  actor === 'owner' ? ownerToken : actor === 'other' ? otherToken : undefined;

const matrix: Array<{
  method: string;
  body?: (id: number) => unknown;
  expect: Record<Actor, Record<Visibility, number>>;
}> = [
  {
    method: 'GET',
    expect: {
      anonymous: { public: 401, private: 401 },
      owner: { public: 200, private: 200 },
      other: { public: 200, private: 404 },
    },
  },
  {
    method: 'PATCH',
    body: () => ({ title: 'changed' }),
    expect: {
      anonymous: { public: 401, private: 401 },
      owner: { public: 200, private: 200 },
      other: { public: 403, private: 404 },
    },
  },
  {
    method: 'PUT',
    body: (id) => ({ url: `https://matrix.invalid/put-${id}`, title: 'changed' }),
    expect: {
      anonymous: { public: 401, private: 401 },
      owner: { public: 200, private: 200 },
      other: { public: 403, private: 404 },
    },
  },
  {
    method: 'DELETE',
    expect: {
      anonymous: { public: 401, private: 401 },
      owner: { public: 204, private: 204 },
      other: { public: 403, private: 404 },
    },
  },
];

for (const row of matrix) {
  for (const actor of ['anonymous', 'owner', 'other'] as const) {
    for (const visibility of ['public', 'private'] as const) {
      const expected = row.expect[actor][visibility];
      test(`${row.method} /api/v1/bookmarks/:id: ${actor} on a ${visibility} bookmark → ${expected}`, async (t) => {
        const id = await bookmarkOf(owner, {
          url: `https://matrix.invalid/${row.method}-${actor}-${visibility}`,
          title: 'original',
          private: visibility === 'private',
        });
        const response = await call(row.method, `/bookmarks/${id}`, tokenOf(actor), row.body?.(id));
        t.is(response.status, expected);
        const stored = await app.db.knex('bookmarks').where({ id }).first();
        if (actor !== 'owner') {
          t.is(stored?.title, 'original', 'a refused request changes nothing');
          if (expected !== 200) t.false(JSON.stringify(response.body).includes('original'));
        }
      });
    }
  }
}

test('list and create: any signed-in caller, only their own bookmarks are written', async (t) => {
  for (const [actor, token] of [
    ['owner', ownerToken],
    ['other', otherToken],
  ] as const) {
    t.is((await call('GET', '/bookmarks', token)).status, 200, actor);
    const created = await call('POST', '/bookmarks', token, {
      url: `https://mine.invalid/${actor}`,
    });
    t.is(created.status, 201, actor);
    t.is((created.body as BookmarkBody).owner, actor === 'owner' ? owner.username : other.username);
  }
});

test('a session (cookie) may call the API too, but state changes need the CSRF token', async (t) => {
  const client = new TestClient(app.baseUrl);
  await client.register('sessioncaller');
  const listed = await client.get('/api/v1/bookmarks', { accept: 'application/json' });
  t.is(listed.status, 200);
  const body = JSON.stringify({ url: 'https://session.invalid/' });
  const refused = await client.request('POST', '/api/v1/bookmarks', {
    body,
    headers: { 'content-type': 'application/json', accept: 'application/json' },
  });
  t.is(refused.status, 403);
  t.is(refused.json<ErrorBody>().error.code, 'csrf_failed');
  const allowed = await client.request('POST', '/api/v1/bookmarks', {
    body,
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-csrf-token': await client.csrf(),
    },
  });
  t.is(allowed.status, 201);
});
