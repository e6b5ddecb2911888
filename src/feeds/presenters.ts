/**
 * What leaves the app about feeds. The JSON shape is the original app's
 * (Feed.to_dict / FeedItem.to_dict), so existing clients keep working.
 */
import type { Feed, FeedItem } from './models';

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
    json: feed.metadata,
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
    json: item.raw,
    created_at: iso(item.first_seen_at),
    updated_at: iso(item.last_seen_at),
  };
}

export type FeedJson = ReturnType<typeof presentFeedJson> & {
  items: ReturnType<typeof presentItemJson>[];
};

export interface FeedsJsonEntry {
  readonly success: boolean;
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
