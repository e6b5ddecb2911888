/**
 * What leaves the reader: rows for the pages and objects for the API. Links
 * from feeds become hrefs only when they are http(s); titles fall back to
 * something a person can click.
 */
import { describeStatus, formatWhen, safeUrl, sanitizeHtml } from '../feeds';
import type { Category } from './categories';
import { type FollowedFeed, type UnreadTotal, unreadText } from './followed-feeds';
import type { ItemCursor, ReaderItem, ReaderItemWithContent } from './item-list';
import type { FeedPollProgress, PollRequest } from './poll-now';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export function cursorText(cursor: ItemCursor): string {
  return `${cursor.sortMicros}_${cursor.id}`;
}

/** The bookmark form, prefilled with the item's link and title. */
export function bookmarkHref(item: { link: string | null; title: string | null }): string | null {
  const link = item.link ? safeUrl(item.link) : null;
  if (!link) return null;
  const query = new URLSearchParams({ url: link });
  if (item.title) query.set('title', item.title.slice(0, 255));
  return `/bookmarks/new?${query}`;
}

function itemTitle(item: ReaderItem): string {
  return item.title || item.link || 'Untitled';
}

/** One item of the reader list. */
export function presentItemRow(item: ReaderItem) {
  return {
    id: item.id,
    title: itemTitle(item),
    link: item.link ? safeUrl(item.link) : null,
    summary: item.summary,
    date: formatWhen(item.date ?? item.firstSeenAt),
    isoDate: iso(item.date ?? item.firstSeenAt),
    undated: item.date === null,
    feedId: item.feedId,
    feedTitle: item.feedTitle || item.feedUrl,
    read: item.read,
    bookmarkHref: bookmarkHref(item),
  };
}

/** The item page: the row plus its content, sanitised once more on the way out. */
export function presentItemPage(item: ReaderItemWithContent) {
  const row = presentItemRow(item);
  return {
    ...row,
    content: item.description ? sanitizeHtml(item.description, row.link) : null,
  };
}

export function presentItemJson(item: ReaderItem) {
  return {
    id: item.id,
    feed_id: item.feedId,
    feed_title: item.feedTitle,
    guid: item.guid,
    title: item.title ?? '',
    link: item.link ? safeUrl(item.link) : null,
    summary: item.summary ?? '',
    // The feed's date; null when it gave none (then sorted by first_seen_at).
    date: iso(item.date),
    first_seen_at: iso(item.firstSeenAt),
    read: item.read,
    bookmark_url: bookmarkHref(item),
  };
}

/** A followed feed in the reader's side list. */
export function presentFeedNav(feed: FollowedFeed) {
  return {
    id: feed.id,
    title: feed.title || feed.url,
    url: feed.url,
    categoryId: feed.categoryId,
    unread: feed.unread,
    disabled: feed.disabled,
    failing: feed.errorCount > 0,
    status: describeStatus(feed.lastStatus),
    lastError: feed.errorCount > 0 ? feed.lastError : null,
    lastPolled: formatWhen(feed.lastPolledAt),
  };
}

export function presentFeedJson(feed: FollowedFeed) {
  return {
    id: feed.id,
    title: feed.title,
    url: feed.url,
    category_id: feed.categoryId,
    unread: feed.unread,
    disabled: feed.disabled,
    last_status: feed.lastStatus,
    last_error: feed.lastError,
    error_count: feed.errorCount,
    last_polled_at: iso(feed.lastPolledAt),
    next_poll_at: iso(feed.nextPollAt),
  };
}

export function presentCategoryJson(category: Category, unread?: number) {
  return {
    id: category.id,
    title: category.title,
    feeds: category.feeds,
    ...(unread === undefined ? {} : { unread }),
  };
}

export function presentPollRequest(request: PollRequest, statusUrl: string) {
  return {
    queued: request.queued,
    running: request.running,
    recent: request.recent,
    disabled: request.disabled,
    after_item_id: request.afterItemId,
    status_url: statusUrl,
  };
}

export function presentPollStatus(status: {
  readonly feeds: readonly FeedPollProgress[];
  readonly pending: number;
  readonly unreadTotal: UnreadTotal;
}) {
  return {
    done: status.pending === 0,
    pending: status.pending,
    new_items: status.feeds.reduce((sum, entry) => sum + entry.newItems, 0),
    unread: status.unreadTotal.count,
    unread_text: unreadText(status.unreadTotal),
    feeds: status.feeds.map((entry) => ({
      id: entry.feed.id,
      title: entry.feed.title || entry.feed.url,
      state: entry.state,
      new_items: entry.newItems,
      // Null when the poll brought nothing new: the count is as it was.
      unread: entry.unread,
      last_status: entry.feed.lastStatus,
      status_text: describeStatus(entry.feed.lastStatus),
      last_error: entry.feed.errorCount > 0 ? entry.feed.lastError : null,
      job_error: entry.jobError,
      last_polled_at: iso(entry.feed.lastPolledAt),
      disabled: entry.feed.disabled,
    })),
  };
}

/** The flash after "Poll now" without JavaScript. */
export function describePollRequest(request: PollRequest): string {
  const parts: string[] = [];
  const feeds = (n: number) => (n === 1 ? '1 feed' : `${n} feeds`);
  if (request.queued.length > 0) {
    parts.push(
      `Polling ${feeds(request.queued.length)} now; reload in a few seconds for new items.`,
    );
  }
  if (request.running.length > 0)
    parts.push(`${feeds(request.running.length)} already being polled.`);
  if (request.recent.length > 0) {
    parts.push(`${feeds(request.recent.length)} polled moments ago, not polled again yet.`);
  }
  if (request.disabled.length > 0) {
    parts.push(
      `${feeds(request.disabled.length)} disabled after errors: re-enable on the Feeds page.`,
    );
  }
  return parts.join(' ') || 'You follow no feeds to poll.';
}

export interface ReaderFilters {
  readonly feed?: number | undefined;
  readonly category?: number | undefined;
  readonly tag?: string | undefined;
  readonly show: 'unread' | 'all';
  readonly before?: ItemCursor | undefined;
  readonly limit: number;
}

/** /reader with these filters (defaults left out, so links stay short). */
export function readerUrl(filters: Partial<ReaderFilters>, defaultLimit: number): string {
  const query = new URLSearchParams();
  if (filters.feed !== undefined) query.set('feed', String(filters.feed));
  if (filters.category !== undefined) query.set('category', String(filters.category));
  if (filters.tag !== undefined) query.set('tag', filters.tag);
  if (filters.show === 'all') query.set('show', 'all');
  if (filters.limit !== undefined && filters.limit !== defaultLimit) {
    query.set('limit', String(filters.limit));
  }
  if (filters.before) query.set('before', cursorText(filters.before));
  const text = query.toString();
  return text ? `/reader?${text}` : '/reader';
}

/** The reader page: items, the side list of feeds by category, and the links around them. */
export function presentReaderPage(
  data: {
    readonly page: { items: ReaderItem[]; next: ItemCursor | null; throughItemId: number };
    readonly feeds: readonly FollowedFeed[];
    readonly categories: readonly Category[];
    readonly tags: ReadonlyArray<{ name: string; feeds: number }>;
  },
  filters: ReaderFilters,
  defaultLimit: number,
) {
  const feeds = data.feeds.map(presentFeedNav);
  const groups = data.categories.map((category) => {
    const inside = feeds.filter((feed) => feed.categoryId === category.id);
    return {
      id: category.id,
      title: category.title,
      feeds: inside,
      unread: inside.reduce((sum, feed) => sum + feed.unread, 0),
    };
  });
  const feed = feeds.find((candidate) => candidate.id === filters.feed);
  const category = groups.find((group) => group.id === filters.category);
  const scope = { ...filters, before: undefined };
  return {
    items: data.page.items.map(presentItemRow),
    unreadItemIds: data.page.items.filter((item) => !item.read).map((item) => item.id),
    throughItemId: data.page.throughItemId,
    feeds,
    groups,
    uncategorised: feeds.filter((candidate) => candidate.categoryId === null),
    tags: data.tags,
    totalUnread: feeds.reduce((sum, candidate) => sum + candidate.unread, 0),
    filters,
    feed,
    category,
    heading:
      feed?.title ?? category?.title ?? (filters.tag ? `Tagged “${filters.tag}”` : 'All feeds'),
    here: readerUrl(filters, defaultLimit),
    links: {
      next: data.page.next ? readerUrl({ ...scope, before: data.page.next }, defaultLimit) : null,
      newest: filters.before ? readerUrl(scope, defaultLimit) : null,
      unread: readerUrl({ ...scope, show: 'unread' }, defaultLimit),
      all: readerUrl({ ...scope, show: 'all' }, defaultLimit),
    },
  };
}
