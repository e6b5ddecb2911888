/**
 * Subscriptions: following a feed (by its URL or a page that advertises it),
 * unfollowing, listing a user's feeds with their state, re-enabling a
 * disabled feed, and ensureFeed for feeds found on bookmarked pages.
 */
import type { Knex } from 'knex';
import type { Config } from '../config';
import { conflict, notFound, validationFailed } from '../errors';
import { type Fetcher, isFetchError } from '../fetcher';
import { findFeeds } from './discover';
import { Feed, FeedSubscription } from './models';
import { canViewFeed } from './policies';
import { queueFeedPolls } from './polls';
import { normaliseFeedUrl } from './urls';

export interface FeedsDeps {
  readonly knex: Knex;
  readonly fetcher: Fetcher;
  readonly config: Pick<Config, 'feeds' | 'fetch' | 'quotas'>;
}

export interface EnsuredFeed {
  readonly feed: Feed;
  readonly created: boolean;
  /** The poll queued for a new feed (graphile-worker job id). */
  readonly pollJobId: string | null;
}

/**
 * The Feed row for a URL, created when missing (and then polled at once).
 * For bookmarks' discovered feed_url: call it inside the bookmark's
 * transaction. Throws a 422 AppError for a URL that is not http(s).
 */
export async function ensureFeed(db: Knex | Knex.Transaction, url: string): Promise<EnsuredFeed> {
  const normalised = normaliseFeedUrl(url);
  const inserted = await db('feeds')
    .insert({ url: normalised })
    .onConflict('url')
    .ignore()
    .returning('id');
  const created = inserted.length > 0;
  const feed = await Feed.query(db).findOne({ url: normalised });
  if (!feed) throw new Error(`feed ${normalised} vanished after insert`);
  if (!created) return { feed, created, pollJobId: null };
  const [pollJobId] = await queueFeedPolls(db, [feed.id]);
  return { feed, created, pollJobId: pollJobId ?? null };
}

export interface SubscribeResult extends EnsuredFeed {
  /** False when the user already followed it. */
  readonly subscribed: boolean;
}

/** Where a subscription's feed is: the URL itself if known or a feed, else discovered. */
async function locateFeed(deps: FeedsDeps, url: string): Promise<string> {
  const known = await Feed.query(deps.knex).findOne({ url });
  if (known) return known.url;
  let found: Awaited<ReturnType<typeof findFeeds>>;
  try {
    found = await findFeeds(deps.fetcher, url, { max: 1 });
  } catch (error) {
    if (isFetchError(error)) throw validationFailed(`Could not fetch ${url}: ${error.message}.`);
    throw error;
  }
  if (found.length === 0) {
    throw validationFailed(
      `No feed found at ${url}: it is not a feed and the page links to none that could be read.`,
    );
  }
  return found[0]!.url;
}

export async function subscribeToFeed(
  deps: FeedsDeps,
  input: { readonly userId: number; readonly url: string },
): Promise<SubscribeResult> {
  const feedUrl = await locateFeed(deps, normaliseFeedUrl(input.url));
  return deps.knex.transaction(async (trx) => {
    const ensured = await ensureFeed(trx, feedUrl);
    const added = await subscribe(trx, input.userId, ensured.feed.id);
    if (added) await assertFollowLimit(trx, input.userId, deps.config.quotas.feedsPerUser);
    return { ...ensured, subscribed: added };
  });
}

/**
 * FEEDS_MAX_PER_USER, checked after the new subscriptions are written in
 * `trx` (a 422 rolls them back). The user's row is locked first, so two
 * follows at once are counted one after the other and cannot both slip
 * under the limit.
 */
export async function assertFollowLimit(
  trx: Knex.Transaction,
  userId: number,
  max: number,
): Promise<void> {
  await trx('users').where('id', userId).forUpdate().select('id');
  const row = await trx('feed_subscriptions')
    .where('user_id', userId)
    .count<{ n: number }>({ n: '*' })
    .first();
  const following = Number(row?.n ?? 0);
  if (following > max) {
    throw validationFailed(
      `You can follow at most ${max} feeds (FEEDS_MAX_PER_USER); this would make ${following}. Unfollow some first.`,
    );
  }
}

/**
 * Follows the feed at exactly `url`, without fetching anything to find it
 * (the CLI's self-test follows its fixture feed so). Counts against `maxFeeds`.
 */
export async function followFeedUrl(
  knex: Knex,
  input: { readonly userId: number; readonly url: string; readonly maxFeeds: number },
): Promise<EnsuredFeed> {
  return knex.transaction(async (trx) => {
    const ensured = await ensureFeed(trx, input.url);
    if (await subscribe(trx, input.userId, ensured.feed.id)) {
      await assertFollowLimit(trx, input.userId, input.maxFeeds);
    }
    return ensured;
  });
}

/** Adds the subscription row; false when it was there already. */
export async function subscribe(
  db: Knex | Knex.Transaction,
  userId: number,
  feedId: number,
): Promise<boolean> {
  const rows = await db('feed_subscriptions')
    .insert({ user_id: userId, feed_id: feedId })
    .onConflict(['user_id', 'feed_id'])
    .ignore()
    .returning('feed_id');
  return rows.length > 0;
}

export async function unsubscribeFromFeed(
  deps: Pick<FeedsDeps, 'knex'>,
  input: { readonly userId: number; readonly feedId: number },
): Promise<void> {
  await deps.knex.transaction(async (trx) => {
    const deleted = await FeedSubscription.query(trx)
      .delete()
      .where({ user_id: input.userId, feed_id: input.feedId });
    if (deleted === 0) throw notFound('You do not follow that feed.');
    // The reader's per-item read states go too: following the feed again
    // starts afresh, as the subscription's read-up-to mark does.
    await trx('feed_item_states').delete().where({ user_id: input.userId, feed_id: input.feedId });
  });
}

export interface UserFeed {
  readonly feed: Feed;
  /** Null for a feed the user only has through a bookmark. */
  readonly subscribedAt: Date | null;
  readonly itemCount: number;
}

const ITEM_COUNT =
  '(select count(*)::int from feed_items i where i.feed_id = feeds.id) as item_count';
const BY_TITLE = "lower(coalesce(nullif(feeds.title, ''), feeds.url)), feeds.id";

function toUserFeeds(rows: Feed[]): UserFeed[] {
  return rows.map((row) => {
    const extra = row as unknown as { subscribed_at?: Date; item_count: number };
    return { feed: row, subscribedAt: extra.subscribed_at ?? null, itemCount: extra.item_count };
  });
}

/** The feeds a user follows. */
export async function listUserFeeds(
  deps: Pick<FeedsDeps, 'knex'>,
  input: { readonly userId: number },
): Promise<UserFeed[]> {
  const rows = await Feed.query(deps.knex)
    .select('feeds.*', 's.created_at as subscribed_at', deps.knex.raw(ITEM_COUNT))
    .join('feed_subscriptions as s', 's.feed_id', 'feeds.id')
    .where('s.user_id', input.userId)
    .orderByRaw(BY_TITLE);
  return toUserFeeds(rows);
}

/** Feeds found on the user's bookmarked pages that the user does not follow (yet). */
export async function listBookmarkFeeds(
  deps: Pick<FeedsDeps, 'knex'>,
  input: { readonly userId: number; readonly limit?: number },
): Promise<UserFeed[]> {
  const { knex } = deps;
  const rows = await Feed.query(knex)
    .select('feeds.*', knex.raw(ITEM_COUNT))
    .whereExists(
      knex('bookmarks')
        .whereRaw('bookmarks.feed_url = feeds.url')
        .andWhere('bookmarks.owner_id', input.userId),
    )
    .whereNotExists(
      knex('feed_subscriptions')
        .whereRaw('feed_subscriptions.feed_id = feeds.id')
        .andWhere('feed_subscriptions.user_id', input.userId),
    )
    .orderByRaw(BY_TITLE)
    .limit(input.limit ?? 200);
  return toUserFeeds(rows);
}

/** A feed the user may see (404 otherwise: we do not say which feeds exist). */
export async function getUserFeed(
  deps: Pick<FeedsDeps, 'knex'>,
  input: { readonly userId: number; readonly feedId: number },
): Promise<Feed> {
  const feed = await Feed.query(deps.knex).findById(input.feedId);
  if (!feed || !(await canViewFeed(deps.knex, input.userId, feed))) {
    throw notFound('There is no such feed among yours.');
  }
  return feed;
}

/**
 * Turns a disabled feed back on: errors forgotten, polled at once. Only a
 * subscriber may; the feed is shared, so it comes back for everyone.
 */
/**
 * A disabled feed is polled again, now. Only a disabled one: the poll is on
 * demand, so it also takes one from the user's FEED_FETCHES_PER_HOUR
 * (`reservePoll`), or the button would fetch someone's server at will.
 */
export async function reenableFeed(
  deps: Pick<FeedsDeps, 'knex'> & { readonly reservePoll: () => Promise<void> },
  input: { readonly userId: number; readonly feedId: number },
): Promise<Feed> {
  const feed = await getUserFeed(deps, input);
  if (!feed.disabled) {
    throw conflict(`${feed.title || feed.url} is not disabled: it is polled on its own.`);
  }
  await deps.reservePoll();
  return deps.knex.transaction(async (trx) => {
    const now = new Date();
    await Feed.query(trx)
      .patch({ disabled: false, error_count: 0, next_poll_at: now, poll_due_at: now })
      .where('id', feed.id);
    await queueFeedPolls(trx, [feed.id]);
    return (await Feed.query(trx).findById(feed.id))!;
  });
}
