/**
 * The authorization matrix of every bookmark page: anonymous, owner and
 * another user, on a public and a private bookmark. Another user's public
 * bookmark answers 403 to changes; a private one answers 404 to anyone but
 * its owner. Plus CSRF: no state-changing form works without the token.
 */
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClient } from '../helpers/client';
import { bookmarkOf, type Person, person } from './support';

let app: TestApp;
let owner: Person;
let other: Person;
let anonymous: TestClient;

test.before(async () => {
  app = await startTestApp({}, 'web');
  owner = await person(app, 'owner');
  other = await person(app, 'other');
  anonymous = new TestClient(app.baseUrl);
  await anonymous.csrf(); // a session with a valid token: only authentication is missing
});
test.after.always(async () => {
  await app?.stop();
});

type Actor = 'anonymous' | 'owner' | 'other';
type Visibility = 'public' | 'private';

const client = (actor: Actor) =>
  actor === 'anonymous' ? anonymous : actor === 'owner' ? owner.client : other.client;

const form = (id: number) => ({
  url: `https://authz.invalid/${id}`,
  title: 'changed by the request',
});

interface Route {
  readonly name: string;
  readonly run: (c: TestClient, id: number) => Promise<{ status: number; location: string | null }>;
  /** Expected status per actor and visibility. */
  readonly expect: Record<Actor, Record<Visibility, number>>;
  readonly changes: boolean;
}

const loginRedirect = 302;
const routes: Route[] = [
  {
    name: 'GET /bookmarks/:id/edit',
    run: (c, id) => c.get(`/bookmarks/${id}/edit`),
    expect: {
      anonymous: { public: loginRedirect, private: loginRedirect },
      owner: { public: 200, private: 200 },
      other: { public: 403, private: 404 },
    },
    changes: false,
  },
  {
    name: 'POST /bookmarks/:id/edit',
    run: (c, id) => c.post(`/bookmarks/${id}/edit`, form(id)),
    expect: {
      anonymous: { public: 401, private: 401 },
      owner: { public: 302, private: 302 },
      other: { public: 403, private: 404 },
    },
    changes: true,
  },
  {
    name: 'GET /bookmarks/:id/delete',
    run: (c, id) => c.get(`/bookmarks/${id}/delete`),
    expect: {
      anonymous: { public: loginRedirect, private: loginRedirect },
      owner: { public: 200, private: 200 },
      other: { public: 403, private: 404 },
    },
    changes: false,
  },
  {
    name: 'POST /bookmarks/:id/delete',
    run: (c, id) => c.post(`/bookmarks/${id}/delete`),
    expect: {
      anonymous: { public: 401, private: 401 },
      owner: { public: 302, private: 302 },
      other: { public: 403, private: 404 },
    },
    changes: true,
  },
];

for (const route of routes) {
  for (const actor of ['anonymous', 'owner', 'other'] as const) {
    for (const visibility of ['public', 'private'] as const) {
      const expected = route.expect[actor][visibility];
      test.serial(
        `${route.name}: ${actor} on a ${visibility} bookmark → ${expected}`,
        async (t) => {
          const id = await bookmarkOf(owner, {
            url: `https://authz.invalid/${actor}-${visibility}-${route.name.replace(/\W/g, '')}`,
            title: 'original',
            private: visibility === 'private',
          });
          const response = await route.run(client(actor), id);
          t.is(response.status, expected);
          if (actor === 'anonymous' && expected === loginRedirect) {
            t.regex(response.location ?? '', /^\/auth\/login\?next=/);
          }
          const row = await app.db.knex('bookmarks').where({ id }).first();
          if (actor !== 'owner' || !route.changes) {
            t.is(row?.title, 'original', 'a refused request changes nothing');
          } else if (route.name.includes('delete')) {
            t.is(row, undefined);
          } else {
            t.is(row.title, 'changed by the request');
          }
        },
      );
    }
  }
}

test.serial('an unknown or malformed id is a 404 for its would-be owner', async (t) => {
  for (const path of [
    '/bookmarks/99999999/edit',
    '/bookmarks/99999999/delete',
    '/bookmarks/1x/edit',
  ]) {
    t.is((await owner.client.get(path)).status, 404, path);
  }
  const del = await owner.client.post('/bookmarks/99999999/delete');
  t.is(del.status, 404, del.text);
  t.is((await owner.client.post('/bookmarks/99999999/edit', form(1))).status, 404);
});

test.serial(
  '/bookmarks/new: anonymous is sent to log in (GET) or refused (POST); users may use it',
  async (t) => {
    t.is((await anonymous.get('/bookmarks/new')).status, 302);
    t.is(
      (await anonymous.post('/bookmarks/new', { url: 'https://authz.invalid/anon' })).status,
      401,
    );
    t.is((await other.client.get('/bookmarks/new')).status, 200);
    t.is(
      (await other.client.post('/bookmarks/new', { url: 'https://authz.invalid/other' })).status,
      302,
    );
    const rows = await app.db.knex('bookmarks').where({ url: 'https://authz.invalid/anon' });
    t.is(rows.length, 0);
  },
);

test.serial('lists are open to everyone', async (t) => {
  for (const actor of ['anonymous', 'owner', 'other'] as const) {
    for (const path of [
      '/bookmarks',
      `/u/${owner.username}`,
      `/u/${owner.username}/t/x`,
      '/t/',
      '/t/x',
      `/u/${owner.username}/feed.atom`,
      `/u/${owner.username}/t/x/feed.atom`,
    ]) {
      t.is((await client(actor).get(path)).status, 200, `${actor} ${path}`);
    }
  }
});

test.serial(
  'forms without a valid CSRF token are refused with 403 and change nothing',
  async (t) => {
    const id = await bookmarkOf(owner, { url: 'https://csrf.invalid/1', title: 'original' });
    const attempts: Array<[string, Record<string, string>]> = [
      ['/bookmarks/new', { url: 'https://csrf.invalid/new' }],
      [`/bookmarks/${id}/edit`, { url: 'https://csrf.invalid/1', title: 'forged' }],
      [`/bookmarks/${id}/delete`, {}],
    ];
    for (const [path, body] of attempts) {
      const missing = await owner.client.post(path, body, { csrf: false });
      t.is(missing.status, 403, path);
      t.regex(missing.text, /form has expired or came from another site/);
      const wrong = await owner.client.post(path, { ...body, _csrf: 'not-the-token' });
      t.is(wrong.status, 403, path);
    }
    const row = await app.db.knex('bookmarks').where({ id }).first();
    t.is(row.title, 'original');
    t.is((await app.db.knex('bookmarks').where({ url: 'https://csrf.invalid/new' })).length, 0);
  },
);
