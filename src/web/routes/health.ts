import Router from '@koa/router';
import type { Knex } from 'knex';
import type { Logger } from '../../logging/logger';

/**
 * /healthz: the process answers. /readyz: and its database does too. Why the
 * database does not answer goes to the log, not to whoever asks: an error
 * text can name hosts, users and databases.
 */
export function healthRoutes(knex: Knex, logger: Logger): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await withTimeout(knex.raw('select 1'), 2000);
      ctx.body = { status: 'ok', database: 'ok' };
    } catch (error) {
      (ctx.state.log ?? logger).warn({ err: error }, 'readiness check: database unavailable');
      ctx.status = 503;
      ctx.body = { status: 'unavailable', database: 'unavailable' };
    }
  });
  return router;
}

function withTimeout<T>(promise: PromiseLike<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    Promise.resolve(promise).then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
