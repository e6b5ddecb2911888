import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Middleware } from 'koa';
import { AppError } from '../../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Synchroniser-token CSRF protection for every state-changing request that a
 * browser could be tricked into sending: the token from the session must come
 * back in the `_csrf` form field, the `X-CSRF-Token` header or (for multipart
 * uploads, whose body is read later) the `_csrf` query parameter.
 * Bearer-token requests are exempt: a browser never adds that header itself.
 */
export function csrfProtection(): Middleware {
  return async (ctx, next) => {
    // A signed-in session always has its token: an error page (rendered after
    // the session was saved) still shows a logout form that must work. For
    // everyone else it is made on first use (a page with a form, or a check),
    // so a health check, a feed reader or an API client gets no session
    // cookie it never asked for.
    const makeToken = () => {
      if (ctx.session && !ctx.session.csrf) {
        ctx.session.csrf = randomBytes(24).toString('base64url');
      }
      return ctx.session?.csrf;
    };
    if (ctx.session?.uid) makeToken();
    Object.defineProperty(ctx.state, 'csrfToken', {
      configurable: true,
      enumerable: true,
      get: makeToken,
    });
    if (SAFE_METHODS.has(ctx.method) || ctx.state.authMethod === 'token') return next();
    // An API call with no credentials at all has nothing to forge: let it reach
    // the route, which answers 401 (the API's answer to a missing token).
    if (ctx.path.startsWith('/api/') && !ctx.state.user) return next();

    const body = ctx.request.body as Record<string, unknown> | undefined;
    const given =
      (typeof body?._csrf === 'string' ? body._csrf : undefined) ??
      (ctx.get('x-csrf-token') || undefined) ??
      (typeof ctx.query._csrf === 'string' ? ctx.query._csrf : undefined);
    if (!given || !ctx.state.csrfToken || !equal(given, ctx.state.csrfToken)) {
      throw new AppError(
        403,
        'csrf_failed',
        'This form has expired or came from another site. Reload the page and try again.',
      );
    }
    return next();
  };
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
