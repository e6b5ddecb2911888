import type { Knex } from 'knex';
import type { Feed } from './models';

/**
 * A user may see a feed they follow, or the feed of one of their own
 * bookmarks. Other feeds answer 404: a feed's existence can reveal another
 * user's private bookmark.
 */
export async function canViewFeed(knex: Knex, userId: number, feed: Feed): Promise<boolean> {
  const row = await knex
    .select(
      knex.raw(
        `exists(select 1 from feed_subscriptions where user_id = ? and feed_id = ?)
         or exists(select 1 from bookmarks where owner_id = ? and feed_url = ?) as allowed`,
        [userId, feed.id, userId, feed.url],
      ),
    )
    .first();
  return row?.allowed === true;
}
