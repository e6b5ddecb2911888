/**
 * GET /feeds/get and POST /feeds/fetch: feeds and their items keyed by URL,
 * `{url: {success, fetched: {feed fields…, items: […]}}}` as in the original.
 */
import type { Knex } from 'knex';
import { newestFirst } from './items';
import { Feed, FeedItem } from './models';
import { queueFeedPolls, waitForJobs } from './polls';
import { type FeedsJson, presentFeedJson, presentItemJson } from './presenters';
import { ensureFeed } from './service';
import { tryNormaliseFeedUrl } from './urls';

export const DEFAULT_PER_FEED_LIMIT = 100;
export const FETCH_WAIT_MS = 30_000;

export interface FeedsQuery {
  readonly urls: readonly string[];
  readonly since: Date | null;
  readonly perFeedLimit: number;
}

async function itemsFor(knex: Knex, feed: Feed, query: FeedsQuery) {
  let items = FeedItem.query(knex).where('feed_id', feed.id);
  if (query.since) {
    items = items.whereRaw('coalesce(date, first_seen_at) >= ?', [query.since]);
  }
  return newestFirst(items).limit(query.perFeedLimit);
}

async function present(
  knex: Knex,
  pairs: ReadonlyArray<readonly [string, Feed]>,
  query: FeedsQuery,
): Promise<FeedsJson> {
  const result: FeedsJson = {};
  for (const [key, feed] of pairs) {
    if (query.since && !(feed.newest_item_date && feed.newest_item_date >= query.since)) continue;
    const items = await itemsFor(knex, feed, query);
    result[key] = {
      success: true,
      fetched: { items: items.map(presentItemJson), ...presentFeedJson(feed) },
    };
  }
  return result;
}

/**
 * Stored data only. Anyone may ask, but a feed is answered only when a
 * public bookmark links to it, or the signed-in asker follows it or
 * bookmarked it: feeds of private bookmarks stay private.
 */
export async function getFeedsJson(
  deps: { readonly knex: Knex },
  query: FeedsQuery & { readonly viewerId: number | null },
): Promise<FeedsJson> {
  const { knex } = deps;
  if (query.urls.length === 0) return {};
  const feeds = await Feed.query(knex)
    .whereIn('url', [...query.urls])
    .where((visible) => {
      visible.whereExists(
        knex('bookmarks').whereRaw('bookmarks.feed_url = feeds.url').andWhere('private', false),
      );
      if (query.viewerId !== null) {
        visible
          .orWhereExists(
            knex('feed_subscriptions')
              .whereRaw('feed_subscriptions.feed_id = feeds.id')
              .andWhere('user_id', query.viewerId),
          )
          .orWhereExists(
            knex('bookmarks')
              .whereRaw('bookmarks.feed_url = feeds.url')
              .andWhere('owner_id', query.viewerId),
          );
      }
    });
  return present(
    knex,
    feeds.map((feed) => [feed.url, feed] as const),
    query,
  );
}

/**
 * Polls the feeds now (creating the ones not known yet), waits for the
 * worker up to `waitMs`, then answers from what is stored. A feed whose
 * poll failed answers success: false with the error.
 */
export async function fetchFeedsJson(
  deps: { readonly knex: Knex },
  query: FeedsQuery & { readonly waitMs?: number },
): Promise<FeedsJson> {
  const { knex } = deps;
  const requested: Array<readonly [string, number]> = [];
  const jobIds: string[] = [];
  const toPoll = new Set<number>();
  for (const url of query.urls) {
    const normalised = tryNormaliseFeedUrl(url);
    if (!normalised) continue;
    const { feed, pollJobId } = await ensureFeed(knex, normalised);
    requested.push([url, feed.id]);
    // A new feed's poll is already queued; known ones get one now.
    if (pollJobId) jobIds.push(pollJobId);
    else toPoll.add(feed.id);
  }
  jobIds.push(...(await queueFeedPolls(knex, [...toPoll])));
  await waitForJobs(knex, jobIds, query.waitMs ?? FETCH_WAIT_MS);
  const ids = [...new Set(requested.map(([, id]) => id))];
  const feeds = new Map((await Feed.query(knex).findByIds(ids)).map((f) => [f.id, f]));
  const pairs = requested.flatMap(([url, id]) => {
    const feed = feeds.get(id);
    return feed ? [[url, feed] as const] : [];
  });
  const result = await present(knex, pairs, query);
  for (const [url, feed] of pairs) {
    const entry = result[url];
    if (entry && feed.error_count > 0 && feed.last_error) {
      result[url] = { ...entry, success: false, error: feed.last_error };
    }
  }
  return result;
}
