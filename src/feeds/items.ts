import type { Knex } from 'knex';
import { FeedItem } from './models';
import { type FeedsDeps, getUserFeed } from './service';

export const ITEMS_PER_PAGE = 25;

/**
 * Newest first by the item's date, or when we first saw it if the feed gave
 * no date (the date column stays honest: null means "the feed did not say").
 */
export function newestFirst<Q extends Knex.QueryBuilder | ReturnType<typeof FeedItem.query>>(
  query: Q,
): Q {
  return query.orderByRaw('coalesce(date, first_seen_at) desc, id desc') as Q;
}

export async function listFeedItems(
  deps: Pick<FeedsDeps, 'knex'>,
  input: {
    readonly userId: number;
    readonly feedId: number;
    readonly page?: number;
    readonly perPage?: number;
  },
) {
  const feed = await getUserFeed(deps, input);
  const perPage = input.perPage ?? ITEMS_PER_PAGE;
  const page = Math.max(1, input.page ?? 1);
  const query = FeedItem.query(deps.knex).where('feed_id', feed.id);
  const [total, items] = await Promise.all([
    query.clone().resultSize(),
    newestFirst(query.clone())
      .limit(perPage)
      .offset((page - 1) * perPage),
  ]);
  return {
    feed,
    items,
    page,
    perPage,
    total,
    hasPrevious: page > 1,
    hasNext: page * perPage < total,
  };
}
