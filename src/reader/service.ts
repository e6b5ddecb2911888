/**
 * The reader's operations, one per thing a page or an API call does. Each
 * checks that the feed, item or category in question is the user's (404
 * otherwise) and leaves the SQL to the modules it names: item-list,
 * read-state, followed-feeds, categories, poll-now.
 */
import type { Knex } from 'knex';
import { notFound } from '../errors';
import { listCategories } from './categories';
import { countUnread, listFeedTags, listFollowedFeeds, type UnreadTotal } from './followed-feeds';
import {
  findReaderItem,
  type ItemCursor,
  type ItemScope,
  listReaderItems,
  type ReaderItemWithContent,
} from './item-list';
import { requireFollowedFeed, requireOwnCategory } from './policies';
import { getPollStatus, pollFeedsNow } from './poll-now';
import { markItems, markOlderThan } from './read-state';

export interface ReaderDeps {
  readonly knex: Knex;
  /** Seconds within which a feed is not polled again on request. */
  readonly pollNowMinIntervalSeconds: number;
}

/** Checks the scope's feed and category are the user's; a tag needs no check. */
async function checkScope(knex: Knex, scope: ItemScope): Promise<void> {
  if (scope.feedId !== undefined) await requireFollowedFeed(knex, scope.userId, scope.feedId);
  if (scope.categoryId !== undefined) {
    await requireOwnCategory(knex, scope.userId, scope.categoryId);
  }
}

export interface ListItemsInput extends ItemScope {
  readonly unreadOnly: boolean;
  readonly before?: ItemCursor | undefined;
  readonly limit: number;
}

export async function listItems(deps: ReaderDeps, input: ListItemsInput) {
  await checkScope(deps.knex, input);
  return listReaderItems(deps.knex, input);
}

/** Everything the reader page shows: the items and the feeds, categories and tags beside them. */
export async function loadReaderPage(deps: ReaderDeps, input: ListItemsInput) {
  await checkScope(deps.knex, input);
  const [page, feeds, categories, tags] = await Promise.all([
    listReaderItems(deps.knex, input),
    listFollowedFeeds(deps.knex, { userId: input.userId }),
    listCategories(deps.knex, input.userId),
    listFeedTags(deps.knex, input.userId),
  ]);
  return { page, feeds, categories, tags };
}

/**
 * Opens an item: its content, and it is read from now on. With it: the new
 * unread total (for the navigation) and the next unread item after it in the
 * combined list, to read on.
 */
export async function openItem(
  deps: ReaderDeps,
  input: { readonly userId: number; readonly itemId: number },
): Promise<{
  readonly item: ReaderItemWithContent;
  readonly unread: UnreadTotal | null;
  readonly nextUnreadId: number | null;
}> {
  const item = await findReaderItem(deps.knex, input);
  if (!item) throw notFound('There is no such item in the feeds you follow.');
  if (!item.read) await markItems(deps.knex, { ...input, itemIds: [item.id], read: true });
  const [unread, next] = await Promise.all([
    item.read ? null : countUnread(deps.knex, input.userId),
    listReaderItems(deps.knex, {
      userId: input.userId,
      unreadOnly: true,
      before: item.cursor,
      limit: 1,
    }),
  ]);
  return { item: { ...item, read: true }, unread, nextUnreadId: next.items[0]?.id ?? null };
}

/** Marks one item; answers the unread counts a page updates (the item's feed and the total). */
export async function setItemRead(
  deps: ReaderDeps,
  input: { readonly userId: number; readonly itemId: number; readonly read: boolean },
) {
  const found = await markItems(deps.knex, {
    userId: input.userId,
    itemIds: [input.itemId],
    read: input.read,
  });
  if (found.length === 0) throw notFound('There is no such item in the feeds you follow.');
  return unreadAfterMarking(deps, input.userId, input.itemId);
}

async function unreadAfterMarking(deps: ReaderDeps, userId: number, itemId: number) {
  const item = await findReaderItem(deps.knex, { userId, itemId });
  const [feeds, total] = await Promise.all([
    item ? listFollowedFeeds(deps.knex, { userId, feedIds: [item.feedId] }) : [],
    countUnread(deps.knex, userId),
  ]);
  return {
    id: itemId,
    read: item?.read ?? true,
    feedId: item?.feedId ?? null,
    feedUnread: feeds[0]?.unread ?? 0,
    unread: total,
  };
}

/** Marks a batch (a page, or an API call); answers the ids that were found. */
export async function setItemsRead(
  deps: ReaderDeps,
  input: { readonly userId: number; readonly itemIds: readonly number[]; readonly read: boolean },
): Promise<number[]> {
  return markItems(deps.knex, input);
}

/** "Mark all as read" within a scope, or only what is older than a date. */
export async function markScopeRead(
  deps: ReaderDeps,
  input: {
    readonly scope: ItemScope;
    readonly before: Date | null;
    readonly throughItemId?: number | undefined;
  },
) {
  await checkScope(deps.knex, input.scope);
  return markOlderThan(deps.knex, input);
}

export async function pollNow(
  deps: ReaderDeps,
  input: { readonly userId: number; readonly feedId?: number },
) {
  return pollFeedsNow(deps.knex, {
    ...input,
    minIntervalSeconds: deps.pollNowMinIntervalSeconds,
  });
}

export async function readPollStatus(
  deps: ReaderDeps,
  input: { readonly userId: number; readonly feedId?: number; readonly afterItemId: number },
) {
  const [status, unreadTotal] = await Promise.all([
    getPollStatus(deps.knex, input),
    countUnread(deps.knex, input.userId),
  ]);
  return { ...status, unreadTotal };
}

/** Followed feeds with their unread counts and categories (the API's feed list). */
export async function listReaderFeeds(deps: ReaderDeps, input: { readonly userId: number }) {
  const [feeds, categories] = await Promise.all([
    listFollowedFeeds(deps.knex, input),
    listCategories(deps.knex, input.userId),
  ]);
  return { feeds, categories };
}

/** One item with its content, for the API; reading it through the API does not mark it. */
export async function getItem(
  deps: ReaderDeps,
  input: { readonly userId: number; readonly itemId: number },
): Promise<ReaderItemWithContent> {
  const item = await findReaderItem(deps.knex, input);
  if (!item) throw notFound('There is no such item in the feeds you follow.');
  return item;
}
