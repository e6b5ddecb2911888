/**
 * What leaves the app about feeds. The JSON shape is the original app's
 * (Feed.to_dict / FeedItem.to_dict), so existing clients keep working.
 */
import type { Feed, FeedItem } from './models';
import { safeFeedJson } from './safe-json';
import { safeUrl } from './sanitize';

const iso = (date: Date | null | undefined) => (date ? date.toISOString() : null);

export function presentFeedJson(feed: Feed) {
  return {
    id: feed.id,
    url: feed.url,
    title: feed.title,
    newest_item_date: iso(feed.newest_item_date),
    disabled: feed.disabled,
    etag: feed.etag,
    modified: feed.modified,
    json: safeFeedJson(feed.metadata),
    last_status: feed.last_status,
    last_error: feed.last_error,
    last_polled_at: iso(feed.last_polled_at),
    next_poll_at: iso(feed.next_poll_at),
    created_at: iso(feed.created_at),
    updated_at: iso(feed.updated_at),
  };
}

export function presentItemJson(item: FeedItem) {
  return {
    id: item.id,
    feed_id: item.feed_id,
    guid: item.guid,
    // The original always had a date; an undated item is dated when first seen.
    date: iso(item.date ?? item.first_seen_at),
    link: item.link,
    title: item.title ?? '',
    summary: item.summary ?? '',
    description: item.description ?? '',
    last_seen_at: iso(item.last_seen_at),
    first_seen_at: iso(item.first_seen_at),
    json: safeFeedJson(item.raw),
    created_at: iso(item.first_seen_at),
    updated_at: iso(item.last_seen_at),
  };
}

export type FeedJson = ReturnType<typeof presentFeedJson> & {
  items: ReturnType<typeof presentItemJson>[];
};

export interface FeedsJsonEntry {
  readonly success: boolean;
  /** Some (or all) of the items were left out: the answer reached its size limit. */
  readonly truncated?: boolean;
  readonly fetched?: FeedJson;
  readonly error?: string;
}

export type FeedsJson = Record<string, FeedsJsonEntry>;

/** Human wording of a poll status, for the /feeds page. */
export function describeStatus(status: string | null): string {
  switch (status) {
    case null:
      return 'not polled yet';
    case 'success':
      return 'OK';
    case 'not_modified':
      return 'OK (not modified)';
    case 'not_found':
      return 'not found (404)';
    case 'gone':
      return 'gone (410)';
    case 'parse_error':
      return 'not a readable feed';
    case 'too_large':
      return 'too large';
    case 'blocked':
      return 'blocked address';
    case 'network_error':
      return 'network error';
    case 'http_error':
      return 'HTTP error';
    default:
      return status;
  }
}

/** "2024-01-02 10:00 UTC": pages are rendered without the reader's time zone. */
export function formatWhen(date: Date | null | undefined): string | null {
  if (!date) return null;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** One row of the /feeds page: the feed and its polling state. */
export function presentFeedRow(row: { feed: Feed; itemCount: number }) {
  const { feed } = row;
  const failing = feed.error_count > 0;
  return {
    id: feed.id,
    title: feed.title || feed.url,
    url: feed.url,
    // From the feed itself: only an http(s) link may become an href.
    siteUrl: typeof feed.metadata?.url === 'string' ? safeUrl(feed.metadata.url) : null,
    itemCount: row.itemCount,
    disabled: feed.disabled,
    status: describeStatus(feed.last_status),
    failing,
    errorCount: feed.error_count,
    lastError: failing ? feed.last_error : null,
    lastPolled: formatWhen(feed.last_polled_at),
    nextPoll: feed.disabled ? null : formatWhen(feed.next_poll_at),
  };
}

export function presentItemRow(item: FeedItem) {
  return {
    title: item.title || item.link || 'Untitled',
    link: item.link,
    summary: item.summary,
    date: formatWhen(item.date ?? item.first_seen_at),
    undated: item.date === null,
  };
}
