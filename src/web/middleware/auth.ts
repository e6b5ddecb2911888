import type { Middleware, ParameterizedContext } from 'koa';
import { isActiveUser } from '../../accounts';
import { unauthorized } from '../../errors';
import { userForToken } from '../../users';
import { wantsJson } from './error-handler';

/**
 * Who is asking: a bearer token (API clients) or the session cookie (people).
 * A request that sends a bearer token is judged by it alone — a bad token is a
 * 401, never a silent fall-back to the cookie.
 */
export function authenticate(): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    if (header) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      const user = match ? await userForToken(match[1]!) : undefined;
      if (!user) throw unauthorized('The API token is missing, malformed or revoked.');
      ctx.state.user = user;
      ctx.state.authMethod = 'token';
    } else if (ctx.session?.uid && ctx.session.username) {
      // accounts: a disabled or deleted account's session signs no one in.
      if (await isActiveUser(ctx.session.uid)) {
        ctx.state.user = { id: ctx.session.uid, username: ctx.session.username };
        ctx.state.authMethod = 'session';
      } else {
        delete ctx.session.uid;
        delete ctx.session.username;
      }
    }
    if (ctx.session?.flash) {
      ctx.state.flash = ctx.session.flash;
      delete ctx.session.flash;
    }
    await next();
  };
}

/** Signed-in users only: JSON callers get 401, people are sent to the login page. */
export function requireUser(): Middleware {
  return async (ctx, next) => {
    if (ctx.state.user) return next();
    if (!wantsJson(ctx) && (ctx.method === 'GET' || ctx.method === 'HEAD')) {
      ctx.redirect(`/auth/login?next=${encodeURIComponent(ctx.originalUrl)}`);
      return;
    }
    throw unauthorized();
  };
}

export function setFlash(ctx: ParameterizedContext, kind: 'info' | 'error', message: string): void {
  if (ctx.session) ctx.session.flash = { kind, message };
}
