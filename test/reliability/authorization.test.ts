/**
 * The authorization matrix of the routes the bookmark tests do not cover:
 * feeds, imports, exports, API tokens and profiles, each tried as an
 * anonymous visitor, the owner and another signed-in user. Rows that change
 * something check that the change happened for the owner only. (Bookmark
 * pages: test/bookmarks/authorization.test.ts; the bookmarks API:
 * test/api/bookmarks.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { createOrUpdateBookmark } from '../../src/bookmarks';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken, aUser } from '../helpers/factories';
import { anonymousSession, type Session, signIn } from './support';

type Actor = 'anonymous' | 'owner' | 'other';

interface Reply {
  readonly status: number;
  readonly text: string;
}

let app: TestApp;
let dataDir: string;
let ownerId: number;
const sessions = {} as Record<Actor, Session>;
const tokens = {} as Record<Exclude<Actor, 'anonymous'>, string>;
let counter = 0;

test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-authz-'));
  app = await startTestApp({ DATA_DIR: dataDir }, 'web');
  const owner = await aUser({ username: 'authzowner' });
  const other = await aUser({ username: 'authzother' });
  ownerId = owner.id;
  tokens.owner = await aToken(owner.id);
  tokens.other = await aToken(other.id);
  sessions.owner = await signIn(app.baseUrl, 'authzowner');
  sessions.other = await signIn(app.baseUrl, 'authzother');
  sessions.anonymous = await anonymousSession(app.baseUrl);
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const knex = () => app.db.knex;

async function page(actor: Actor, target: string): Promise<Reply> {
  const response = await fetch(`${app.baseUrl}${target}`, {
    headers: { cookie: sessions[actor].cookie, accept: 'text/html' },
    redirect: 'manual',
  });
  return { status: response.status, text: await response.text() };
}

async function form(
  actor: Actor,
  target: string,
  fields: Record<string, string> = {},
): Promise<Reply> {
  const response = await fetch(`${app.baseUrl}${target}`, {
    method: 'POST',
    headers: {
      cookie: sessions[actor].cookie,
      accept: 'text/html',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ ...fields, _csrf: sessions[actor].csrf }).toString(),
    redirect: 'manual',
  });
  return { status: response.status, text: await response.text() };
}

async function apiGet(actor: Actor, target: string): Promise<Reply> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (actor !== 'anonymous') headers.authorization = `Bearer ${tokens[actor]}`;
  const response = await fetch(`${app.baseUrl}${target}`, { headers });
  return { status: response.status, text: await response.text() };
}

async function aFollowedFeed(
  fields: Record<string, unknown> = {},
): Promise<{ id: number; url: string }> {
  counter += 1;
  const url = `https://authz-feed-${counter}.example/feed.xml`;
  const [row] = await knex()('feeds')
    .insert({ url, ...fields })
    .returning('id');
  const id = Number((row as { id: number }).id);
  await knex()('feed_subscriptions').insert({ user_id: ownerId, feed_id: id });
  return { id, url };
}

async function anImport(status = 'pending'): Promise<{ id: number; name: string }> {
  counter += 1;
  const name = `authz-import-${counter}.html`;
  const file = path.join(dataDir, name);
  fs.writeFileSync(file, '<DT><A HREF="https://authz.example/">x</A>');
  const [row] = await knex()('import_jobs')
    .insert({ user_id: ownerId, file_path: file, original_filename: name, status })
    .returning('id');
  return { id: Number((row as { id: number }).id), name };
}

interface Row {
  readonly name: string;
  /** Makes what the row needs; answers what `run` and `changed` use. */
  readonly setup: () => Promise<Record<string, string | number>>;
  readonly run: (actor: Actor, ctx: Record<string, string | number>) => Promise<Reply>;
  readonly expect: Record<Actor, number>;
  /** For reads: what only the owner may see in the answer. */
  readonly secret?: (ctx: Record<string, string | number>) => string;
  /** For writes: did the owner's object change? */
  readonly changed?: (ctx: Record<string, string | number>) => Promise<boolean>;
}

const loginRedirect = 302;

const rows: Row[] = [
  {
    name: 'GET /feeds/:id',
    setup: async () => aFollowedFeed(),
    run: (a, c) => page(a, `/feeds/${c.id}`),
    expect: { anonymous: loginRedirect, other: 404, owner: 200 },
  },
  {
    name: 'POST /feeds/:id/delete',
    setup: async () => aFollowedFeed(),
    run: (a, c) => form(a, `/feeds/${c.id}/delete`),
    expect: { anonymous: 401, other: 404, owner: 302 },
    changed: async (c) => !(await knex()('feed_subscriptions').where({ feed_id: c.id }).first()),
  },
  {
    name: 'POST /feeds/:id/enable',
    setup: async () => aFollowedFeed({ disabled: true }),
    run: (a, c) => form(a, `/feeds/${c.id}/enable`),
    expect: { anonymous: 401, other: 404, owner: 302 },
    changed: async (c) => !(await knex()('feeds').where({ id: c.id }).first()).disabled,
  },
  {
    name: 'GET /feeds/export.opml',
    setup: async () => aFollowedFeed(),
    run: (a) => page(a, '/feeds/export.opml'),
    expect: { anonymous: loginRedirect, other: 200, owner: 200 },
    secret: (c) => String(c.url),
  },
  {
    name: 'GET /import',
    setup: async () => anImport(),
    run: (a) => page(a, '/import'),
    expect: { anonymous: loginRedirect, other: 200, owner: 200 },
    secret: (c) => String(c.name),
  },
  {
    name: 'POST /import/cancel',
    setup: async () => anImport(),
    run: (a, c) => form(a, '/import/cancel', { id: String(c.id) }),
    expect: { anonymous: 401, other: 404, owner: 302 },
    changed: async (c) =>
      (await knex()('import_jobs').where({ id: c.id }).first()).status === 'cancelled',
  },
  {
    name: 'POST /import/retry',
    setup: async () => anImport('failed'),
    run: (a, c) => form(a, '/import/retry', { id: String(c.id) }),
    expect: { anonymous: 401, other: 404, owner: 302 },
    changed: async (c) =>
      (await knex()('import_jobs').where({ id: c.id }).first()).status !== 'failed',
  },
  {
    name: 'GET /api/v1/imports/:id',
    setup: async () => anImport(),
    run: (a, c) => apiGet(a, `/api/v1/imports/${c.id}`),
    expect: { anonymous: 401, other: 404, owner: 200 },
  },
  {
    name: 'GET /api/v1/imports',
    setup: async () => anImport(),
    run: (a) => apiGet(a, '/api/v1/imports'),
    expect: { anonymous: 401, other: 200, owner: 200 },
    secret: (c) => String(c.name),
  },
  ...['netscape.html', 'activitystream.json', 'bookmarks.opml'].map(
    (file): Row => ({
      name: `GET /bookmarks/export/${file}`,
      setup: async () => {
        counter += 1;
        const url = `https://authz-export-${counter}.example/`;
        await createOrUpdateBookmark({
          ownerId,
          fields: { url, title: 'exported', private: counter % 2 === 0 },
          source: 'cli',
        });
        return { url };
      },
      run: (a) => page(a, `/bookmarks/export/${file}`),
      expect: { anonymous: loginRedirect, other: 200, owner: 200 },
      secret: (c) => String(c.url),
    }),
  ),
  {
    name: 'GET /settings/tokens',
    setup: async () => {
      counter += 1;
      const name = `authz-token-${counter}`;
      await knex()('api_tokens').where({ user_id: ownerId }).update({ name });
      return { name };
    },
    run: (a) => page(a, '/settings/tokens'),
    expect: { anonymous: loginRedirect, other: 200, owner: 200 },
    secret: (c) => String(c.name),
  },
  {
    name: 'POST /settings/tokens/:id/delete',
    setup: async () => {
      const token = await aToken(ownerId);
      const row = await knex()('api_tokens')
        .where({ user_id: ownerId })
        .orderBy('id', 'desc')
        .first();
      return { id: Number(row.id), token };
    },
    run: (a, c) => form(a, `/settings/tokens/${c.id}/delete`),
    expect: { anonymous: 401, other: 404, owner: 302 },
    changed: async (c) =>
      (
        await fetch(`${app.baseUrl}/api/v1/bookmarks`, {
          headers: { authorization: `Bearer ${c.token}` },
        })
      ).status === 401,
  },
  {
    // The old profile page: the owner is sent to /settings#profile.
    name: 'GET /u/:username/edit',
    setup: async () => ({}),
    run: (a) => page(a, '/u/authzowner/edit'),
    expect: { anonymous: loginRedirect, other: 403, owner: 302 },
  },
  {
    // Its form, still open somewhere: the owner's POST is handed on (308) to /settings/profile.
    name: 'POST /u/:username/edit',
    setup: async () => ({}),
    run: (a) => form(a, '/u/authzowner/edit', { bio: 'handed on' }),
    expect: { anonymous: 401, other: 403, owner: 308 },
  },
  {
    name: 'POST /settings/profile',
    setup: async () => {
      counter += 1;
      return { bio: `bio ${counter}` };
    },
    run: (a, c) => form(a, '/settings/profile', { bio: String(c.bio) }),
    expect: { anonymous: 401, other: 302, owner: 302 },
    // Everyone edits their own profile only: the other user's POST leaves the owner's alone.
    changed: async (c) =>
      (await knex()('profiles').where({ user_id: ownerId }).first())?.bio === c.bio,
  },
];

async function check(t: ExecutionContext, row: Row): Promise<void> {
  const ctx = await row.setup();
  // Strangers first: whatever they try must leave the owner's things as they were.
  for (const actor of ['anonymous', 'other', 'owner'] as const) {
    const reply = await row.run(actor, ctx);
    const where = `${row.name} as ${actor}`;
    t.is(reply.status, row.expect[actor], `${where}: ${reply.text.slice(0, 200)}`);
    if (actor === 'anonymous' && reply.status === loginRedirect) continue;
    if (row.secret) {
      const shown = reply.text.includes(row.secret(ctx));
      t.is(shown, actor === 'owner', `${where}: the owner's ${row.secret(ctx)} shown: ${shown}`);
    }
    if (row.changed) {
      t.is(await row.changed(ctx), actor === 'owner', `${where}: changed`);
    }
  }
}

for (const row of rows) {
  test.serial(row.name, (t) => check(t, row));
}
