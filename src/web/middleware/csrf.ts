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
 * The anonymous visitor's CSRF token: a cookie of its own, signed with the
 * app's key, HttpOnly, SameSite=Lax, Secure on HTTPS (as the session cookie).
 * No database row stands behind it, so a flood of anonymous GETs of the login
 * page stores nothing. It lasts as long as the browser session.
 */
const CSRF_COOKIE = 'pebbling.csrf';

/**
 * CSRF protection for every state-changing request that a browser could be
 * tricked into sending: a token must come back in the `_csrf` form field or
 * the `X-CSRF-Token` header — never in the URL, where logs, proxies and
 * Referer headers would keep it. A multipart upload carries it as its first
 * form field (see UPLOAD_PATHS). Bearer-token requests are exempt: a browser
 * never adds that header itself.
 *
 * Which token: a signed-in session keeps a synchroniser token in its row
 * (src/users/sessions.ts), which ends with the session. Anyone else (the
 * login and registration forms) gets a signed double-submit token: the same
 * random value in the CSRF_COOKIE cookie and in the form. Another site can
 * neither read that cookie nor, lacking the app's key, make one the app takes.
 */
export function csrfProtection(): Middleware {
  return async (ctx, next) => {
    // Signed in or not is asked at each use: a login in this request changes it.
    const session = () => (ctx.session?.uid ? ctx.session : undefined);
    let fresh: string | undefined; // this request's anonymous token, once made or read
    const token = () => {
      const signedIn = session();
      if (signedIn) {
        signedIn.csrf ??= newToken();
        return signedIn.csrf;
      }
      fresh ??= cookieToken(ctx) ?? setCookieToken(ctx);
      return fresh;
    };
    // A signed-in session always has its token: an error page (rendered after
    // the session was saved) still shows a logout form that must work. For
    // everyone else it is made on first use (a page that prints a form), so
    // a health check, a feed reader or an API client gets no cookie it never
    // asked for.
    if (session()) token();
    Object.defineProperty(ctx.state, 'csrfToken', {
      configurable: true,
      enumerable: true,
      get: token,
    });
    // The token this request must carry (none is made for it).
    const expected = () => {
      const signedIn = session();
      return signedIn ? signedIn.csrf : cookieToken(ctx);
    };
    if (SAFE_METHODS.has(ctx.method) || ctx.state.authMethod === 'token') return next();
    // An API call with no credentials at all has nothing to forge: let it reach
    // the route, which answers 401 (the API's answer to a missing token).
    if (ctx.path.startsWith('/api/') && !ctx.state.user) return next();

    const body = ctx.request.body as Record<string, unknown> | undefined;
    const given =
      (typeof body?._csrf === 'string' ? body._csrf : undefined) ??
      (ctx.get('x-csrf-token') || undefined);
    if (given === undefined && isUpload(ctx)) {
      pendingUploads.set(ctx.req, expected() ?? '');
      return next();
    }
    const wanted = expected();
    if (!given || !wanted || !csrfTokensMatch(given, wanted)) throw csrfFailed();
    return next();
  };
}

const newToken = () => randomBytes(24).toString('base64url');

/** The token of a valid CSRF cookie (its signature checked), if the request has one. */
function cookieToken(ctx: ParameterizedContext): string | undefined {
  return ctx.cookies.get(CSRF_COOKIE, { signed: true }) || undefined;
}

function setCookieToken(ctx: ParameterizedContext): string {
  const token = newToken();
  ctx.cookies.set(CSRF_COOKIE, token, {
    signed: true,
    httpOnly: true,
    sameSite: 'lax',
    secure: ctx.secure,
    overwrite: true,
  });
  return token;
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
