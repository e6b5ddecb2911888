import type { Middleware } from 'koa';

const CSP = [
  "default-src 'self'",
  "img-src 'self' https: data:",
  "style-src 'self'",
  "script-src 'self'",
  // No <base> may re-point the page's relative links and form actions.
  "base-uri 'none'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

const ONE_YEAR = 365 * 24 * 60 * 60;

/** Defence in depth behind output escaping: no inline scripts from anywhere. */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    // Over HTTPS (TLS here, or X-Forwarded-Proto from a trusted proxy):
    // browsers must not try plain HTTP for a year. Sent only over HTTPS, where
    // browsers heed it; subdomains are the operator's call, not ours.
    if (ctx.secure) ctx.set('Strict-Transport-Security', `max-age=${ONE_YEAR}`);
    // What a signed-in person (or a token) sees may be private: no shared
    // cache (a proxy, a CDN) may keep it for the next visitor.
    if (ctx.state.user && !ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'private');
    if (ctx.response.is('html')) {
      ctx.set('Content-Security-Policy', CSP);
      ctx.set('X-Frame-Options', 'DENY');
    }
  };
}
