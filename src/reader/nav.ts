/**
 * The unread count in the navigation of every page a signed-in person sees.
 * Only for HTML GETs with a session: API calls, form posts and the JSON the
 * reader's script polls do not pay for the count.
 */
import type { Knex } from 'knex';
import type { Middleware, ParameterizedContext } from 'koa';
import { countUnread, type UnreadTotal, unreadText } from './followed-feeds';

/** For a page that changed the count after the middleware read it. */
export function setNavUnread(ctx: ParameterizedContext, total: UnreadTotal): void {
  ctx.state.navUnread = total.count > 0 ? unreadText(total) : undefined;
}

export function unreadInNavigation(knex: Knex): Middleware {
  return async (ctx, next) => {
    const user = ctx.state.user;
    if (
      user &&
      ctx.state.authMethod === 'session' &&
      ctx.method === 'GET' &&
      !ctx.path.startsWith('/api/') &&
      ctx.accepts('html', 'json') === 'html'
    ) {
      setNavUnread(ctx, await countUnread(knex, user.id));
    }
    await next();
  };
}
