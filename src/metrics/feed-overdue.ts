/**
 * Which polled feeds are overdue: the one definition behind the
 * feeds_overdue gauge (readings.ts) and the figure on /status
 * (status/queries.ts). docs/metrics.md ("Feeds") says why it is this.
 *
 * A feed is overdue when no poll of it has completed — succeeded or failed,
 * either writes `last_polled_at` — for longer than it may legitimately wait
 * plus a margin (two poll intervals, at least 10 minutes):
 *
 * - the wait is its backoff (src/feeds/backoff.ts: one interval when
 *   healthy, doubling per consecutive failure, at most a day), so a failing
 *   feed that is backing off is not overdue, a feed nobody polls is;
 * - `next_poll_at` cannot tell: the scheduler pushes it one interval ahead on
 *   every run that queues the poll, whether or not the poll ever completes;
 *   but only a poll writes a time more than one interval ahead (a server's
 *   Retry-After longer than the backoff), so such a feed is waiting as asked;
 * - the clock starts no earlier than the feed became wanted (the oldest
 *   subscription or bookmark that wants it now): a feed followed again after
 *   months unwanted is due now, not months overdue.
 */
import { POLLED_FEED_SQL } from '../feeds/scheduler';

/** `interval` and `margin` are SQL for seconds: placeholders or literals. */
export function overdueFeedSql(interval: string, margin: string): string {
  const backoff = `least(make_interval(secs => ${interval}) * power(2, least(greatest(feeds.error_count - 1, 0), 30)),
          greatest(interval '24 hours', make_interval(secs => ${interval})))`;
  const since = `now() - make_interval(secs => ${margin}) - ${backoff}`;
  return `${POLLED_FEED_SQL}
    AND feeds.next_poll_at <= now() + make_interval(secs => ${interval})
    AND (feeds.last_polled_at IS NULL OR feeds.last_polled_at < ${since})
    AND (exists (select 1 from feed_subscriptions s where s.feed_id = feeds.id and s.created_at < ${since})
      or exists (select 1 from bookmarks b where b.feed_url = feeds.url and b.updated_at < ${since}))`;
}
