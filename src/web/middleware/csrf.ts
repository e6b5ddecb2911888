import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Middleware, ParameterizedContext } from 'koa';
import { AppError } from '../../errors';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The routes that read a multipart upload themselves (the global body parser
 * leaves multipart alone): there the token is a form field that comes with
 * the upload, checked by the upload reader before it accepts the file.
 */
const UPLOAD_PATHS = new Set(['/import/submit', '/feeds/import', '/api/v1/imports']);

/** Uploads whose `_csrf` field must still be checked, with the token it must equal. */
const pendingUploads = new WeakMap<IncomingMessage, string>();

export const csrfFailed = () =>
  new AppError(
    403,
    'csrf_failed',
    'This form has expired or came from another site. Reload the page and try again.',
  );

/**
 * Synchroniser-token CSRF protection for every state-changing request that a
 * browser could be tricked into sending: the token from the session must come
 * back in the `_csrf` form field or the `X-CSRF-Token` header — never in the
 * URL, where logs, proxies and Referer headers would keep it. A multipart
 * upload carries it as its first form field (see UPLOAD_PATHS).
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
      (ctx.get('x-csrf-token') || undefined);
    if (given === undefined && isUpload(ctx)) {
      pendingUploads.set(ctx.req, ctx.state.csrfToken ?? '');
      return next();
    }
    if (!given || !ctx.state.csrfToken || !csrfTokensMatch(given, ctx.state.csrfToken)) {
      throw csrfFailed();
    }
    return next();
  };
}

function isUpload(ctx: ParameterizedContext): boolean {
  return UPLOAD_PATHS.has(ctx.path) && ctx.is('multipart/form-data') === 'multipart/form-data';
}

/**
 * For upload readers: the token this request's `_csrf` form field must
 * carry before the file part, or undefined when the request needs no such
 * check (a bearer token, or the header already matched).
 */
export function uploadCsrfToken(req: IncomingMessage): string | undefined {
  return pendingUploads.get(req);
}

export function csrfTokensMatch(given: string, expected: string): boolean {
  const left = Buffer.from(given);
  const right = Buffer.from(expected);
  return expected.length > 0 && left.length === right.length && timingSafeEqual(left, right);
}
