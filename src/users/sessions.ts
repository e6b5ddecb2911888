/**
 * Server-side sessions in PostgreSQL (table `sessions`): the store behind
 * koa-session. The cookie carries only a random id; the row holds the data,
 * so a session ends for good when its row is deleted — at logout, at a
 * password change, and by "sign out everywhere".
 *
 * The row's id is the SHA-256 of the cookie's id: someone who reads the
 * table (a backup, a replica) cannot use what they read as a cookie.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

/**
 * An anonymous session only holds a flash message after an authenticated
 * action (signed out everywhere, account deleted): one day is plenty.
 * Visitors who merely read or open a form get no row (their CSRF token is a
 * cookie of its own, src/web/middleware/csrf.ts).
 */
const ANONYMOUS_TTL_MS = 24 * 60 * 60 * 1000;

/** What koa-session keeps in a session (with its own `_expire`/`_maxAge`). */
export type SessionRecord = Record<string, unknown> & { uid?: number; username?: string };

interface StoreOptions {
  /** The request (koa-session always passes it). */
  readonly ctx?: object;
}

/** The `store` koa-session calls (get on arrival, set or destroy on commit). */
export interface SessionStore {
  get(key: string, maxAge: number, options: StoreOptions): Promise<SessionRecord | undefined>;
  set(key: string, session: SessionRecord, maxAge: number, options: StoreOptions): Promise<void>;
  destroy(key: string, options: StoreOptions): Promise<void>;
}

export function sessionRowId(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

interface SessionRow {
  data: Record<string, unknown>;
  user_id: number | null;
  username: string | null;
}

export function createSessionStore(knex: Knex): SessionStore {
  // The key each request found in the table. Saving it again only updates
  // the row, so a request that was in flight when the session was revoked
  // (a logout elsewhere, a password change) cannot bring it back.
  const loaded = new WeakMap<object, string>();
  return {
    async get(key, _maxAge, { ctx }) {
      const row = await knex('sessions as s')
        .leftJoin('users as u', 'u.id', 's.user_id')
        .where('s.id', sessionRowId(key))
        .andWhere('s.expires_at', '>', knex.fn.now())
        .first<SessionRow | undefined>('s.data', 's.user_id', 'u.username');
      if (!row) return undefined;
      if (ctx) loaded.set(ctx, key);
      const { uid: _uid, username: _name, ...data } = row.data;
      // Who is signed in comes from the columns, the name from users: a
      // renamed user's sessions show the new name at once.
      return row.user_id === null
        ? data
        : { ...data, uid: Number(row.user_id), username: row.username ?? '' };
    },

    async set(key, session, maxAge, { ctx }) {
      const { uid, username: _name, ...data } = session;
      const userId = typeof uid === 'number' ? uid : null;
      const ttl = userId === null ? Math.min(maxAge, ANONYMOUS_TTL_MS) : maxAge;
      const row = {
        user_id: userId,
        data: JSON.stringify(data),
        expires_at: new Date(Date.now() + ttl),
        updated_at: knex.fn.now(),
      };
      const id = sessionRowId(key);
      if (ctx && loaded.get(ctx) === key) {
        await knex('sessions').where({ id }).update(row);
        return;
      }
      await knex('sessions')
        .insert({ id, ...row })
        .onConflict('id')
        .merge();
    },

    async destroy(key) {
      await knex('sessions')
        .where({ id: sessionRowId(key) })
        .delete();
    },
  };
}

/** Ends every session of the user (all devices); answers how many there were. */
export async function revokeUserSessions(knex: Knex, userId: number): Promise<number> {
  return knex('sessions').where({ user_id: userId }).delete();
}

/** Signed-in sessions of the user that have not expired. */
export async function countUserSessions(knex: Knex, userId: number): Promise<number> {
  const row = await knex('sessions')
    .where({ user_id: userId })
    .andWhere('expires_at', '>', knex.fn.now())
    .count<{ n: number }>({ n: '*' })
    .first();
  return Number(row?.n ?? 0);
}

/** Deletes expired sessions (the maintenance task); answers how many. */
export async function purgeExpiredSessions(knex: Knex, limit = 10_000): Promise<number> {
  return knex('sessions')
    .whereIn(
      'id',
      knex('sessions').select('id').where('expires_at', '<=', knex.fn.now()).limit(limit),
    )
    .delete();
}
