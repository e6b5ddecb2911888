/**
 * Which polled feeds are overdue: the one definition behind the
 * feeds_overdue gauge (readings.ts) and the figure on /status
 * (status/queries.ts). docs/metrics.md ("Feeds") says why it is this.
 *
 * A feed is overdue when the time its next poll was due has passed by more
 * than a margin (two poll intervals, at least 10 minutes) and no poll has
 * completed since:
 *
 * - the due time is `poll_due_at`, which only a completed poll (succeeded or
 *   failed: its backoff, or the server's Retry-After) and Re-enable / Retry
 *   now write. Not `next_poll_at`: the scheduler pushes that one interval
 *   ahead on every run that queues the poll, whether or not the poll ever
 *   completes, so a feed whose polls never complete would never look late;
 * - a feed with no `poll_due_at` (a row written by hand) is due one interval
 *   after its last poll;
 * - the clock starts no earlier than the feed became wanted (the oldest
 *   subscription or bookmark that wants it now) plus one interval for its
 *   first poll: a feed followed again after months unwanted is due now, not
 *   months overdue, and a new feed is not overdue before it was ever polled.
 */
import { POLLED_FEED_SQL } from '../feeds/scheduler';

/** `interval` and `margin` are SQL for seconds: placeholders or literals. */
export function overdueFeedSql(interval: string, margin: string): string {
  const late = `now() - make_interval(secs => ${margin})`;
  const wantedBefore = `${late} - make_interval(secs => ${interval})`;
  return `${POLLED_FEED_SQL}
    AND coalesce(feeds.poll_due_at, feeds.last_polled_at + make_interval(secs => ${interval}), '-infinity') < ${late}
    AND (exists (select 1 from feed_subscriptions s where s.feed_id = feeds.id and s.created_at < ${wantedBefore})
      or exists (select 1 from bookmarks b where b.feed_url = feeds.url and b.updated_at < ${wantedBefore}))`;
}
