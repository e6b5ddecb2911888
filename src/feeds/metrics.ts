/**
 * Feed metrics. Polls and discovered items are counted by the database (a
 * poll is the update that moves a feed's last_polled_at; src/metrics/
 * catalog.ts), so a poll counts once it is committed, wherever it ran. This
 * process keeps how long its polls took, for Prometheus and for /status.
 */
import { createSecondsHistogram } from '../../otel/instruments';
import type { FetchErrorKind } from '../fetcher';
import { recordDurationInHistory } from '../metrics/history';

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

/** Outcomes that are failures (not_modified is a healthy 304): the rules list them too. */
export const FEED_POLL_FAILURES = FEED_POLL_STATUSES.filter(
  (status) => status !== 'success' && status !== 'not_modified',
);

const pollDuration = createSecondsHistogram({
  name: 'feed_poll_duration',
  description: 'Time one feed poll took (fetch, parse and store), by outcome.',
  labels: ['status'],
});

/** Call once the poll's outcome is committed. */
export function recordFeedPoll(status: FeedPollStatus, seconds: number): void {
  pollDuration.record(seconds, { status });
  recordDurationInHistory('feed_poll_duration', seconds);
}
