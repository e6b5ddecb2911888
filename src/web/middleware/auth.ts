import type { Middleware, ParameterizedContext } from 'koa';
import { isActiveUser } from '../../accounts';
import { unauthorized } from '../../errors';
import { userForToken } from '../../users';
import { wantsJson } from './error-handler';

/**
 * Where an API token signs a request in: the API and the few endpoints
 * scripts use (feeds JSON, OPML in and out, exports). Everywhere else — the
 * pages, and above all /settings — only a session does: a token must not
 * manage its account (mint another token that outlives it, sign the owner's
 * sessions out, change the password or the email).
 */
const TOKEN_PATHS = /^\/(api\/|feeds\/(get|fetch|import|export\.opml)$|bookmarks\/export\/)/;

export const acceptsToken = (path: string): boolean => TOKEN_PATHS.test(path);

/**
 * Who is asking: a bearer token (API clients) or the session cookie (people).
 * A request that sends a bearer token is judged by it alone — a bad token is a
 * 401, never a silent fall-back to the cookie. Other schemes (a proxy's Basic
 * auth in front of the app) are not ours and are ignored.
 */
export function authenticate(): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    if (/^Bearer\b/i.test(header)) {
      if (!acceptsToken(ctx.path)) {
        throw unauthorized(
          'API tokens work on the API (/api/v1), /feeds/get, /feeds/fetch, OPML and the exports; sign in to use this page.',
        );
      }
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
      const user = token ? await userForToken(token) : undefined;
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
