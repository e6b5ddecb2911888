/**
 * "Poll now": queue poll_feed jobs for the worker (the feeds domain's own
 * task, job-keyed per feed, so a feed is never queued twice), and report how
 * they are doing so a page or a client can show the result when it lands.
 *
 * Progress is read from the jobs table and the feed rows, never from clocks:
 * a poll is pending while its job exists, and its new items are those with
 * an id above the newest id there was when the poll was asked for.
 */
import type { Knex } from 'knex';
import { pollJobKey, queueFeedPolls } from '../feeds';
import { listFollowedFeeds } from './followed-feeds';
import { newestItemId } from './item-list';
import { requireFollowedFeed } from './policies';

export interface PollRequest {
  /** Queued now (or an already queued poll moved to now). */
  readonly queued: number[];
  /** Being polled at this moment: that poll's result will do. */
  readonly running: number[];
  /** Polled less than the minimum interval ago: not polled again. */
  readonly recent: number[];
  /** Disabled after errors: re-enable them to poll. */
  readonly disabled: number[];
  /** New items are those above this id. */
  readonly afterItemId: number;
}

interface JobRow {
  key: string;
  locked_at: Date | null;
  last_error: string | null;
  attempts: number;
  max_attempts: number;
}

async function jobsByFeed(knex: Knex, feedIds: readonly number[]): Promise<Map<number, JobRow>> {
  if (feedIds.length === 0) return new Map();
  const byKey = new Map(feedIds.map((id) => [pollJobKey(id), id]));
  const { rows } = await knex.raw<{ rows: JobRow[] }>(
    `select key, locked_at, last_error, attempts, max_attempts
       from graphile_worker.jobs where key = any(?::text[])`,
    [[...byKey.keys()]],
  );
  return new Map(rows.map((row) => [byKey.get(row.key)!, row]));
}

export async function pollFeedsNow(
  knex: Knex,
  input: { readonly userId: number; readonly feedId?: number; readonly minIntervalSeconds: number },
): Promise<PollRequest> {
  if (input.feedId !== undefined) await requireFollowedFeed(knex, input.userId, input.feedId);
  const { rows } = await knex.raw<{
    rows: Array<{ id: number; disabled: boolean; recent: boolean }>;
  }>(
    `select f.id, f.disabled,
            coalesce(f.last_polled_at > now() - make_interval(secs => ?), false) as recent
       from feed_subscriptions s join feeds f on f.id = s.feed_id
      where s.user_id = ? ${input.feedId !== undefined ? 'and s.feed_id = ?' : ''}`,
    [input.minIntervalSeconds, input.userId, ...(input.feedId !== undefined ? [input.feedId] : [])],
  );
  const afterItemId = await newestItemId(knex);
  const jobs = await jobsByFeed(
    knex,
    rows.map((row) => row.id),
  );
  const result: PollRequest = { queued: [], running: [], recent: [], disabled: [], afterItemId };
  for (const row of rows) {
    const id = row.id;
    const job = jobs.get(id);
    if (row.disabled) result.disabled.push(id);
    else if (job?.locked_at) result.running.push(id);
    // A queued poll is moved to now; without one, a fresh result is shown as it is.
    else if (row.recent && !job) result.recent.push(id);
    else result.queued.push(id);
  }
  if (result.queued.length > 0) {
    await knex.transaction((trx) => queueFeedPolls(trx, result.queued));
  }
  return result;
}

export type PollState = 'queued' | 'running' | 'retrying' | 'failed' | 'done';

/** A followed feed's polling state, as the feed row has it. */
export interface FeedPollRow {
  readonly id: number;
  readonly title: string;
  readonly url: string;
  readonly disabled: boolean;
  readonly lastStatus: string | null;
  readonly lastError: string | null;
  readonly errorCount: number;
  readonly lastPolledAt: Date | null;
}

export interface FeedPollProgress {
  readonly feed: FeedPollRow;
  readonly state: PollState;
  /** The worker's error when the job itself failed (the feed's own errors are on the feed). */
  readonly jobError: string | null;
  readonly newItems: number;
  /** The feed's unread count when it has new items; null when it has not changed. */
  readonly unread: number | null;
}

function stateOf(job: JobRow | undefined): PollState {
  if (!job) return 'done';
  if (job.locked_at) return 'running';
  if (job.last_error) return job.attempts >= job.max_attempts ? 'failed' : 'retrying';
  return 'queued';
}

async function feedPollRows(knex: Knex, userId: number, feedId?: number): Promise<FeedPollRow[]> {
  const { rows } = await knex.raw<{
    rows: Array<{
      id: number;
      title: string;
      url: string;
      disabled: boolean;
      last_status: string | null;
      last_error: string | null;
      error_count: number;
      last_polled_at: Date | null;
    }>;
  }>(
    `select f.id, f.title, f.url, f.disabled, f.last_status, f.last_error, f.error_count,
            f.last_polled_at
       from feed_subscriptions s join feeds f on f.id = s.feed_id
      where s.user_id = ? ${feedId !== undefined ? 'and s.feed_id = ?' : ''}
      order by f.id`,
    feedId !== undefined ? [userId, feedId] : [userId],
  );
  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    url: row.url,
    disabled: row.disabled,
    lastStatus: row.last_status,
    lastError: row.last_error,
    errorCount: row.error_count,
    lastPolledAt: row.last_polled_at,
  }));
}

/**
 * How the polls asked for are doing. Cheap enough to be asked every second:
 * unread counts are recounted only for feeds that have new items.
 */
export async function getPollStatus(
  knex: Knex,
  input: { readonly userId: number; readonly feedId?: number; readonly afterItemId: number },
): Promise<{ readonly feeds: FeedPollProgress[]; readonly pending: number }> {
  if (input.feedId !== undefined) await requireFollowedFeed(knex, input.userId, input.feedId);
  const feeds = await feedPollRows(knex, input.userId, input.feedId);
  const ids = feeds.map((feed) => feed.id);
  const [jobs, fresh] = await Promise.all([
    jobsByFeed(knex, ids),
    knex.raw<{ rows: Array<{ feed_id: number; items: number }> }>(
      `select feed_id, count(*)::int as items from feed_items
        where feed_id = any(?::bigint[]) and id > ? group by feed_id`,
      [ids, input.afterItemId],
    ),
  ]);
  const newItems = new Map(fresh.rows.map((row) => [row.feed_id, row.items]));
  const changed = await listFollowedFeeds(knex, {
    userId: input.userId,
    feedIds: [...newItems.keys()],
  });
  const unread = new Map(changed.map((feed) => [feed.id, feed.unread]));
  const statuses = feeds.map((feed) => {
    const job = jobs.get(feed.id);
    return {
      feed,
      state: stateOf(job),
      jobError: job?.last_error ?? null,
      newItems: newItems.get(feed.id) ?? 0,
      unread: unread.get(feed.id) ?? null,
    };
  });
  // A job that failed and waits for its retry has landed too: with its error.
  const pending = statuses.filter((s) => s.state === 'queued' || s.state === 'running');
  return { feeds: statuses, pending: pending.length };
}
