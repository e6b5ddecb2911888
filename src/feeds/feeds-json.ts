/**
 * GET /feeds/get and POST /feeds/fetch: feeds and their items keyed by URL,
 * `{url: {success, fetched: {feed fields…, items: […]}}}` as in the original.
 *
 * One answer holds at most MAX_ANSWER_ITEMS items and about MAX_ANSWER_BYTES
 * of them, read a page at a time: a hundred feeds of a thousand items no
 * longer take gigabytes and seconds of event loop. When the budget runs out
 * the entries that lost items say `truncated: true` (ask for fewer feeds, a
 * smaller per_feed_limit, or a later `since`).
 */
import type { Knex } from 'knex';
import type { QueryBuilder } from 'objection';
import { newestFirst } from './items';
import { Feed, FeedItem } from './models';
import { queueFeedPolls, waitForJobs } from './polls';
import { type FeedJson, type FeedsJson, presentFeedJson, presentItemJson } from './presenters';
import { tryNormaliseFeedUrl } from './urls';

export const DEFAULT_PER_FEED_LIMIT = 100;
export const FETCH_WAIT_MS = 30_000;
export const MAX_ANSWER_ITEMS = 2000;
export const MAX_ANSWER_BYTES = 5 * 1024 * 1024;
const PAGE = 200;

export interface FeedsQuery {
  readonly urls: readonly string[];
  readonly since: Date | null;
  readonly perFeedLimit: number;
}

type ItemJson = FeedJson['items'][number];

/** One feed's items, newest first, a page at a time (keyset: no OFFSET rescans). */
async function* itemPages(knex: Knex, feed: Feed, query: FeedsQuery): AsyncGenerator<FeedItem[]> {
  let after: { at: string; id: number } | undefined;
  let left = query.perFeedLimit;
  while (left > 0) {
    let items = FeedItem.query(knex)
      .select('*', knex.raw('coalesce(date, first_seen_at)::text as cursor_at'))
      .where('feed_id', feed.id);
    if (query.since) items = items.whereRaw('coalesce(date, first_seen_at) >= ?', [query.since]);
    if (after) {
      items = items.whereRaw('(coalesce(date, first_seen_at), id) < (?::timestamptz, ?)', [
        after.at,
        after.id,
      ]);
    }
    const size = Math.min(PAGE, left);
    const rows = await newestFirst(items).limit(size);
    if (rows.length > 0) yield rows;
    if (rows.length < size) return;
    left -= rows.length;
    const last = rows.at(-1) as FeedItem & { cursor_at: string };
    after = { at: last.cursor_at, id: last.id };
  }
}

/** The answer for `pairs` (the key asked for, and its feed), within the item and byte budget. */
async function present(
  knex: Knex,
  pairs: ReadonlyArray<readonly [string, Feed]>,
  query: FeedsQuery,
): Promise<FeedsJson> {
  const result: FeedsJson = {};
  const read = new Map<number, { items: ItemJson[]; truncated: boolean }>();
  let items = 0;
  let bytes = 0;
  let spent = false;
  for (const [key, feed] of pairs) {
    if (query.since && !(feed.newest_item_date && feed.newest_item_date >= query.since)) continue;
    let entry = read.get(feed.id);
    if (!entry) {
      entry = { items: [], truncated: spent };
      read.set(feed.id, entry);
      for await (const page of spent ? [] : itemPages(knex, feed, query)) {
        for (const row of page) {
          const item = presentItemJson(row);
          const size = Buffer.byteLength(JSON.stringify(item));
          if (items >= MAX_ANSWER_ITEMS || bytes + size > MAX_ANSWER_BYTES) spent = true;
          if (spent) break;
          entry.items.push(item);
          items += 1;
          bytes += size;
        }
        if (spent) {
          entry.truncated = true;
          break;
        }
      }
    }
    const fetched = { items: entry.items, ...presentFeedJson(feed) };
    result[key] = entry.truncated
      ? { success: true, truncated: true, fetched }
      : { success: true, fetched };
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
        visible.orWhere((own) => ownFeed(knex, own, query.viewerId!));
      }
    });
  // In the order asked for, so that a truncated answer cuts the last ones asked.
  const byUrl = new Map(feeds.map((feed) => [feed.url, feed]));
  const pairs = [...new Set(query.urls)].flatMap((url) => {
    const feed = byUrl.get(url);
    return feed ? [[url, feed] as const] : [];
  });
  return present(knex, pairs, query);
}

/** Feeds the user follows, or has bookmarked a page of. */
function ownFeed(knex: Knex, where: QueryBuilder<Feed, Feed[]>, userId: number): void {
  where
    .whereExists(
      knex('feed_subscriptions')
        .whereRaw('feed_subscriptions.feed_id = feeds.id')
        .andWhere('user_id', userId),
    )
    .orWhereExists(
      knex('bookmarks').whereRaw('bookmarks.feed_url = feeds.url').andWhere('owner_id', userId),
    );
}

export const NOT_YOUR_FEED =
  'Not among your feeds: follow it (or bookmark a page that has it) to have it polled.';
const NOT_A_FEED_URL = 'Not an http(s) feed address.';

/**
 * Polls the asker's feeds now, waits for the worker up to `waitMs`, then
 * answers from what is stored. Only feeds the asker follows or bookmarked are
 * polled; any other address — unknown, or someone else's — gets the same
 * `success: false`, so the answer tells nothing about other people's feeds.
 * A feed whose poll failed answers success: false with the error.
 * `reservePolls(n)` is the asker's quota (FEED_FETCHES_PER_HOUR); it throws
 * a 429 when spent.
 */
export async function fetchFeedsJson(
  deps: { readonly knex: Knex; readonly reservePolls: (count: number) => Promise<void> },
  query: FeedsQuery & { readonly userId: number; readonly waitMs?: number },
): Promise<FeedsJson> {
  const { knex } = deps;
  const result: FeedsJson = {};
  const wanted = new Map<string, string>();
  for (const url of query.urls) {
    const normalised = tryNormaliseFeedUrl(url);
    if (normalised) wanted.set(url, normalised);
    else result[url] = { success: false, error: NOT_A_FEED_URL };
  }
  const feeds =
    wanted.size === 0
      ? []
      : await Feed.query(knex)
          .whereIn('url', [...new Set(wanted.values())])
          .where((own) => ownFeed(knex, own, query.userId));
  const ids = feeds.map((feed) => feed.id);
  await deps.reservePolls(ids.length);
  const jobIds = await queueFeedPolls(knex, ids);
  await waitForJobs(knex, jobIds, query.waitMs ?? FETCH_WAIT_MS);
  const fresh = new Map((await Feed.query(knex).findByIds(ids)).map((f) => [f.url, f]));
  const pairs: Array<readonly [string, Feed]> = [];
  for (const [url, normalised] of wanted) {
    const feed = fresh.get(normalised);
    if (feed) pairs.push([url, feed]);
    else result[url] = { success: false, error: NOT_YOUR_FEED };
  }
  const answered = await present(knex, pairs, query);
  for (const [url, feed] of pairs) {
    const entry = answered[url];
    if (!entry) continue;
    result[url] =
      feed.error_count > 0 && feed.last_error
        ? { ...entry, success: false, error: feed.last_error }
        : entry;
  }
  return result;
}
