import type { Middleware } from 'koa';

/** Defence in depth behind output escaping: no inline scripts from anywhere. */
export function securityHeaders(): Middleware {
  return async (ctx, next) => {
    await next();
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    // What a signed-in person (or a token) sees may be private: no shared
    // cache (a proxy, a CDN) may keep it for the next visitor.
    if (ctx.state.user && !ctx.response.get('Cache-Control')) ctx.set('Cache-Control', 'private');
    if (ctx.response.is('html')) {
      ctx.set(
        'Content-Security-Policy',
        "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'",
      );
      ctx.set('X-Frame-Options', 'DENY');
    }
  };
}
