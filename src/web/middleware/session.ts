import { randomBytes } from 'node:crypto';
import type Koa from 'koa';
import type { Middleware, ParameterizedContext } from 'koa';
import session, { type CreateSessionOptions } from 'koa-session';
import type { SessionStore } from '../../users';

export interface SessionData {
  /** Signed-in user id. */
  uid?: number;
  username?: string;
  /** CSRF synchroniser token of a signed-in session (anonymous visitors have a cookie: csrf.ts). */
  csrf?: string;
  flash?: { kind: 'info' | 'error'; message: string };
}

declare module 'koa' {
  interface Context {
    session: (SessionData & { regenerate(): Promise<void> }) | null;
  }
}

const TWO_WEEKS = 14 * 24 * 60 * 60 * 1000;

/**
 * Sessions kept in PostgreSQL (src/users/sessions.ts); the signed cookie
 * holds a random 256-bit id only. Renewed when half the two weeks are gone,
 * so a person who keeps using the app stays signed in.
 *
 * The cookie is `Secure` exactly when the request came over HTTPS as Koa
 * sees it: TLS on this socket, or `X-Forwarded-Proto: https` from a trusted
 * proxy (TRUST_PROXY). Forcing it on a plain-HTTP request would make the
 * cookie library throw, i.e. a 500 on every page that sets a cookie.
 */
export function sessions(app: Koa, store: SessionStore): Middleware {
  const options: CreateSessionOptions = {
    key: 'pebbling.sid',
    maxAge: TWO_WEEKS,
    httpOnly: true,
    signed: true,
    sameSite: 'lax',
    renew: true,
    store,
    genid: () => randomBytes(32).toString('base64url'),
  };
  return session(options, app) as Middleware;
}

/**
 * Gives the request a new session id carrying `data` (and nothing of the old
 * session): at login, so an id planted before it is worth nothing after; at
 * a password change; and after "sign out everywhere". The old row is deleted.
 */
export async function replaceSession(ctx: ParameterizedContext, data: SessionData): Promise<void> {
  if (!ctx.session) ctx.session = {} as never;
  const current = ctx.session!;
  // Own keys of koa-session's object: the data, plus its bookkeeping (isNew, _expire…).
  for (const key of Object.keys(current)) {
    if (key !== 'isNew' && !key.startsWith('_')) delete current[key as keyof SessionData];
  }
  Object.assign(current, data);
  await current.regenerate();
}
