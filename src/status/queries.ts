/**
 * What /status reads: the history (metric_rollups), the feeds that fail, and
 * a few numbers of right now. A user's page reads only rows of that user
 * (their bookmarks and imports; the feeds they follow or bookmarked).
 */
import type { Knex } from 'knex';
import { POLLED_FEED_SQL } from '../feeds';
import { overdueFeedSql } from '../metrics/feed-overdue';
import type { RollupPoint } from './series';

export async function readRollups(
  knex: Knex,
  input: {
    readonly names: readonly string[];
    readonly resolution: 60 | 3600;
    readonly from: Date;
    readonly to: Date;
    /** Only this user's rows; everyone's when undefined. */
    readonly userId?: number;
  },
): Promise<RollupPoint[]> {
  const { rows } = await knex.raw<{
    rows: Array<{ name: string; bucket: Date; labels: Record<string, string>; value: number }>;
  }>(
    `SELECT name, bucket, labels, sum(value)::float8 AS value FROM metric_rollups
      WHERE name = ANY (?) AND resolution = ? AND bucket >= ? AND bucket < ?
        AND (?::bigint IS NULL OR user_id = ?)
      GROUP BY name, bucket, labels`,
    [
      [...input.names],
      input.resolution,
      input.from,
      input.to,
      input.userId ?? null,
      input.userId ?? null,
    ],
  );
  return rows;
}

export interface FailingFeedRow {
  readonly id: number;
  readonly url: string;
  readonly title: string;
  readonly disabled: boolean;
  readonly error_count: number;
  readonly last_error: string | null;
  readonly last_status: string | null;
  readonly last_polled_at: Date | null;
  readonly next_poll_at: Date;
  readonly followers: number;
}

/** Feeds whose last polls failed (disabled ones included), most failures first. */
export async function listFailingFeeds(
  knex: Knex,
  input: { readonly userId?: number; readonly limit: number },
): Promise<FailingFeedRow[]> {
  const { rows } = await knex.raw<{ rows: FailingFeedRow[] }>(
    `SELECT f.id, f.url, f.title, f.disabled, f.error_count, f.last_error, f.last_status,
            f.last_polled_at, f.next_poll_at,
            (SELECT count(*) FROM feed_subscriptions s WHERE s.feed_id = f.id)::int AS followers
       FROM feeds f
      WHERE f.error_count > 0
        AND (?::bigint IS NULL
             OR EXISTS (SELECT 1 FROM feed_subscriptions s WHERE s.feed_id = f.id AND s.user_id = ?)
             OR EXISTS (SELECT 1 FROM bookmarks b WHERE b.owner_id = ? AND b.feed_url = f.url))
      ORDER BY f.disabled, f.error_count DESC, f.next_poll_at
      LIMIT ?`,
    [input.userId ?? null, input.userId ?? null, input.userId ?? null, input.limit],
  );
  return rows;
}

export interface EveryoneNow {
  readonly jobsWaiting: number;
  readonly workers: number;
  readonly activeFeeds: number;
  readonly overdueFeeds: number;
  readonly importsRunning: number;
  readonly users: number;
}

export async function readEveryoneNow(
  knex: Knex,
  input: {
    readonly workerStaleSeconds: number;
    readonly overdueSeconds: number;
    readonly pollIntervalSeconds: number;
  },
): Promise<EveryoneNow> {
  const { rows } = await knex.raw<{ rows: EveryoneNow[] }>(
    `SELECT
       (SELECT count(*) FROM graphile_worker.jobs
         WHERE locked_at IS NULL AND run_at <= now() AND attempts < max_attempts)::int AS "jobsWaiting",
       (SELECT count(*) FROM worker_heartbeats
         WHERE last_seen_at > now() - make_interval(secs => :workerStaleSeconds))::int AS workers,
       (SELECT count(*) FROM feeds WHERE ${POLLED_FEED_SQL})::int AS "activeFeeds",
       (SELECT count(*) FROM feeds
         WHERE ${overdueFeedSql(':pollIntervalSeconds', ':overdueSeconds')})::int AS "overdueFeeds",
       (SELECT count(*) FROM import_jobs WHERE status = 'processing')::int AS "importsRunning",
       (SELECT count(*) FROM users)::int AS users`,
    { ...input },
  );
  return rows[0]!;
}

export interface OwnNow {
  readonly bookmarks: number;
  readonly feedsFollowed: number;
  readonly importsRunning: number;
}

export async function readOwnNow(knex: Knex, userId: number): Promise<OwnNow> {
  const { rows } = await knex.raw<{ rows: OwnNow[] }>(
    `SELECT
       (SELECT count(*) FROM bookmarks WHERE owner_id = ?)::int AS bookmarks,
       (SELECT count(*) FROM feed_subscriptions WHERE user_id = ?)::int AS "feedsFollowed",
       (SELECT count(*) FROM import_jobs WHERE user_id = ? AND status = 'processing')::int AS "importsRunning"`,
    [userId, userId, userId],
  );
  return rows[0]!;
}

export async function isAdmin(knex: Knex, userId: number): Promise<boolean> {
  const row = await knex('users').where('id', userId).first('is_admin');
  return row?.is_admin === true;
}

/** Grants or revokes admin; false when there is no such user. */
export async function setAdmin(knex: Knex, username: string, value: boolean): Promise<boolean> {
  const updated = await knex('users')
    .whereRaw('lower(username) = lower(?)', [username])
    .update({ is_admin: value, updated_at: knex.fn.now() });
  return updated > 0;
}
