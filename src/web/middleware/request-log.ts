import type { Middleware } from 'koa';
import type { Logger } from '../../logging/logger';

/** One structured line per request, with its id, status and duration. */
export function requestLog(logger: Logger, skipPaths: ReadonlySet<string>): Middleware {
  return async (ctx, next) => {
    const started = process.hrtime.bigint();
    ctx.state.log = logger.child({ requestId: ctx.state.requestId });
    try {
      await next();
    } finally {
      if (!skipPaths.has(ctx.path)) {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const level = ctx.status >= 500 ? 'error' : 'info';
        ctx.state.log[level](
          {
            method: ctx.method,
            path: ctx.path,
            status: ctx.status,
            ms: Math.round(ms * 10) / 10,
            route: ctx._matchedRoute,
            user: ctx.state.user?.id,
          },
          'request',
        );
      }
    }
  };
}
