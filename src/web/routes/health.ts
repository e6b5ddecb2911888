import Router from '@koa/router';
import type { Knex } from 'knex';

/** /healthz: the process answers. /readyz: and its database does too. */
export function healthRoutes(knex: Knex): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    try {
      await withTimeout(knex.raw('select 1'), 2000);
      ctx.body = { status: 'ok', database: 'ok' };
    } catch (error) {
      ctx.status = 503;
      ctx.body = { status: 'unavailable', database: String((error as Error).message ?? error) };
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
