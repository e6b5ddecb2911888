/**
 * Which feeds are due, and queuing their polls. Separate from refreshing one
 * feed (refresh.ts); the per-host limit lives in the worker (host-limiter.ts).
 */
import type { Knex } from 'knex';
import type { TaskName, TaskPayloads } from '../../tasks/payloads';
import type { Config } from '../config';
import { Feed } from './models';

/** At most this many polls are queued per scheduler run; the rest wait a run. */
const BATCH = 5000;

export function pollJobKey(feedId: number): string {
  return `poll_feed:${feedId}`;
}

/**
 * The cron line for "every N minutes". Minutes that do not divide an hour
 * restart at each full hour (45 → :00 and :45); hours likewise per day.
 */
export function feedPollCronPattern(minutes: number): string {
  if (minutes < 60) return `*/${minutes} * * * *`;
  const hours = Math.floor(minutes / 60);
  if (hours >= 24) return '0 0 * * *';
  return `0 */${hours} * * *`;
}

/**
 * A feed polled a few seconds after one scheduler run is due a few seconds
 * after the next: without some slack it would wait a whole extra interval.
 */
export function schedulerSlackMs(intervalMinutes: number): number {
  return Math.min(2 * 60_000, (intervalMinutes * 60_000) / 2);
}

/**
 * A feed someone follows or has bookmarked (`bookmarks.feed_url`), as SQL on
 * `feeds`. Only those are polled: a feed everyone unfollowed or whose
 * bookmarks are gone costs the sites it points at nothing, however many such
 * feeds following and unfollowing leaves behind. Following it again makes it
 * due at once (its next poll time has passed). Both lookups are indexed.
 */
const WANTED_FEED_SQL = `(exists (select 1 from feed_subscriptions s where s.feed_id = feeds.id)
  or exists (select 1 from bookmarks b where b.feed_url = feeds.url))`;

/**
 * The feeds the scheduler polls, as SQL on `feeds`: enabled and wanted. The
 * active_feeds and feeds_overdue gauges and /status count these same feeds.
 */
export const POLLED_FEED_SQL = `NOT feeds.disabled AND ${WANTED_FEED_SQL}`;

/** Enabled, wanted feeds whose next poll time has come, oldest first. */
export async function dueFeedIds(db: Knex, now: Date, limit = BATCH): Promise<number[]> {
  const rows = await db('feeds')
    .select('id')
    .whereRaw(POLLED_FEED_SQL)
    .andWhere('next_poll_at', '<=', now)
    .orderBy('next_poll_at')
    .limit(limit);
  return rows.map((row: { id: number }) => row.id);
}

/**
 * Queues one poll_feed job per due, enabled, wanted feed. The job key means a feed
 * is never queued twice; pushing next_poll_at one interval ahead means the
 * next scheduler run does not queue it again before its poll has run (the
 * poll sets the real next time). If the worker dies, the feed is due again
 * one interval later.
 */
export async function scheduleFeedPolls(deps: {
  readonly knex: Knex;
  readonly config: Pick<Config, 'feeds'>;
  readonly now?: Date;
}): Promise<{ queued: number }> {
  const now = deps.now ?? new Date();
  const horizon = new Date(now.getTime() + schedulerSlackMs(deps.config.feeds.pollIntervalMinutes));
  return deps.knex.transaction(async (trx) => {
    const rows: Array<{ id: number }> = await trx('feeds')
      .select('id')
      .whereRaw(POLLED_FEED_SQL)
      .andWhere('next_poll_at', '<=', horizon)
      .orderBy('next_poll_at')
      .limit(BATCH)
      .forUpdate()
      .skipLocked();
    if (rows.length === 0) return { queued: 0 };
    const ids = rows.map((row) => row.id);
    const lease = new Date(now.getTime() + deps.config.feeds.pollIntervalMinutes * 60_000);
    await Feed.query(trx).patch({ next_poll_at: lease }).whereIn('id', ids);
    await addPollJobs(trx, ids);
    return { queued: ids.length };
  });
}

/**
 * One poll_feed job per feed, all in one statement (graphile-worker's
 * add_jobs, as its own addJobs helper calls it): a cycle of thousands of feeds
 * is one round trip, not one each, and the worker is notified once. Job keys
 * behave as with addJob: a queued poll is replaced; a running one keeps going
 * and a new one is queued beside it.
 */
async function addPollJobs(trx: Knex.Transaction, feedIds: readonly number[]): Promise<void> {
  const identifier: TaskName = 'poll_feed';
  const specs = feedIds.map((feedId) => {
    const payload: TaskPayloads['poll_feed'] = { feedId };
    return { identifier, payload, job_key: pollJobKey(feedId) };
  });
  await trx.raw(
    `select 1 from graphile_worker.add_jobs(
       array(select json_populate_recordset(null::graphile_worker.job_spec, ?::json)), false)`,
    [JSON.stringify(specs)],
  );
}
