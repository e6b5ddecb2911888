/**
 * Feed metrics (step 5 of the metrics plan). Polls are counted after the
 * outcome is committed to the feed row, so a poll whose write rolled back is
 * not counted; its retry will be.
 */
import { createCachedGauge } from '../../otel/cached-gauge';
import { createCounter, createSecondsHistogram } from '../../otel/instruments';
import type { Database } from '../db/connection';
import type { FetchErrorKind } from '../fetcher';

/** The closed set of poll outcomes: the `status` label's only values. */
export const FEED_POLL_STATUSES = [
  'success',
  'not_modified',
  'not_found',
  'gone',
  'http_error',
  'timeout',
  'too_large',
  'parse_error',
  'blocked',
  'network_error',
] as const satisfies readonly (FetchErrorKind | 'success' | 'not_modified' | 'parse_error')[];

export type FeedPollStatus = (typeof FEED_POLL_STATUSES)[number];

const polls = createCounter({
  name: 'feed_polls',
  description: 'Feed polls by outcome (status is one of a closed set), counted once committed.',
  labels: ['feed_id', 'status'],
});

const pollDuration = createSecondsHistogram({
  name: 'feed_poll_duration',
  description: 'Time one feed poll took (fetch, parse and store), by outcome.',
  labels: ['status'],
});

const itemsDiscovered = createCounter({
  name: 'feed_items_discovered',
  description: 'Feed items stored for the first time (new items only), per feed.',
  labels: ['feed_id'],
});

export function recordFeedPoll(feedId: number, status: FeedPollStatus, seconds: number): void {
  polls.add(1, { feed_id: feedId, status });
  pollDuration.record(seconds, { status });
}

export function recordItemsDiscovered(feedId: number, count: number): void {
  if (count > 0) itemsDiscovered.add(count, { feed_id: feedId });
}

/** Enabled feeds, read from the database every 15 s by one process. */
export function activeFeedsGauge(db: Database) {
  return createCachedGauge(
    {
      name: 'active_feeds',
      description: 'Feeds that are enabled (polled), read from the database every 15 s.',
      labels: [],
    },
    async () => {
      const { rows } = await db.knex.raw<{ rows: Array<{ count: number }> }>(
        'select count(*)::int as count from feeds where not disabled',
      );
      return [{ value: rows[0]?.count ?? 0, attributes: {} }];
    },
  );
}
