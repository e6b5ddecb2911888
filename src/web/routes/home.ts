import Router from '@koa/router';
import type { Renderer } from '../render';

export function homeRoutes(render: Renderer): Router {
  const router = new Router();
  router.get('/', (ctx) => {
    ctx.body = render(ctx, 'home.njk');
  });
  return router;
}
