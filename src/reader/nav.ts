/**
 * The unread count in the navigation of every page a signed-in person sees.
 * Only for HTML GETs with a session: API calls, form posts and the JSON the
 * reader's script polls do not pay for the count.
 */
import type { Knex } from 'knex';
import type { Middleware } from 'koa';
import { countUnread, unreadText } from './followed-feeds';

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
      const total = await countUnread(knex, user.id);
      if (total.count > 0) ctx.state.navUnread = unreadText(total);
    }
    await next();
  };
}
