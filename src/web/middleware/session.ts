import type Koa from 'koa';
import type { Middleware } from 'koa';
import session from 'koa-session';

export interface SessionData {
  /** Signed-in user id. */
  uid?: number;
  username?: string;
  /** CSRF synchroniser token, also for anonymous visitors (login forms need it). */
  csrf?: string;
  flash?: { kind: 'info' | 'error'; message: string };
}

declare module 'koa' {
  interface Context {
    session: (SessionData & { regenerate?: () => Promise<void> }) | null;
  }
}

const TWO_WEEKS = 14 * 24 * 60 * 60 * 1000;

/** Signed cookie sessions: nothing stored server-side, tamper-evident via app.keys. */
export function sessions(app: Koa, secure: boolean): Middleware {
  return session(
    {
      key: 'pebbling.sid',
      maxAge: TWO_WEEKS,
      httpOnly: true,
      signed: true,
      sameSite: 'lax',
      secure,
      renew: true,
    },
    app,
  ) as Middleware;
}
