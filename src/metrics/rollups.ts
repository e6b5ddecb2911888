/**
 * The history behind /status, in metric_rollups: one row per metric, label
 * set, user and minute (resolution 60) or hour (3600).
 *
 * - compactEvents moves the triggers' events into the running totals (per
 *   label set, and per user and feed) and the rollups, in one statement: a
 *   counter read (totals + events) sees each event exactly once whenever it
 *   runs, and two compactions at once cannot both move one row.
 * - writeRollups adds what a process measured itself (HTTP, durations, job
 *   outcomes; history.ts) — history for the page, not exported counters.
 * - sampleGauges records the queue depth (the largest seen in each bucket).
 * - pruneRollups applies the retention.
 */
import type { Knex } from 'knex';

export interface HistoryRetention {
  /** Per-minute rows are kept this long. */
  readonly minuteHours: number;
  /** Per-hour rows are kept this long. */
  readonly hourDays: number;
}

export interface RollupRow {
  readonly name: string;
  readonly resolution: 60 | 3600;
  readonly bucket: Date;
  readonly labels: Readonly<Record<string, string>>;
  readonly userId: number;
  readonly value: number;
}

/** Events moved per statement: bounds one statement's work after a long outage. */
const COMPACT_BATCH = 50_000;

const COMPACT = `
WITH moved AS (
  DELETE FROM metric_events
   WHERE ctid = ANY (ARRAY(SELECT ctid FROM metric_events LIMIT ?))
  RETURNING at, name, labels, user_id, feed_id, value
), rollups AS (
  INSERT INTO metric_rollups (name, resolution, bucket, labels, user_id, value)
  SELECT name, r.resolution, date_trunc(r.unit, at) AS bucket, labels, user_id, sum(value)
    FROM moved, (VALUES (60, 'minute'), (3600, 'hour')) AS r (resolution, unit)
   GROUP BY name, r.resolution, bucket, labels, user_id
  ON CONFLICT (name, resolution, bucket, labels, user_id)
  DO UPDATE SET value = metric_rollups.value + excluded.value
), totals AS (
  INSERT INTO metric_totals (name, labels, value)
  SELECT name, labels, sum(value) FROM moved GROUP BY name, labels
  ON CONFLICT (name, labels) DO UPDATE SET value = metric_totals.value + excluded.value
), owner_totals AS (
  INSERT INTO metric_owner_totals (name, labels, user_id, feed_id, value)
  SELECT name, labels, user_id, feed_id, sum(value)
    FROM moved GROUP BY name, labels, user_id, feed_id
  ON CONFLICT (name, labels, user_id, feed_id)
  DO UPDATE SET value = metric_owner_totals.value + excluded.value
)
SELECT count(*)::int AS moved FROM moved`;

/** Moves every committed event; returns how many. */
export async function compactEvents(knex: Knex): Promise<number> {
  let total = 0;
  for (;;) {
    const { rows } = await knex.raw<{ rows: Array<{ moved: number }> }>(COMPACT, [COMPACT_BATCH]);
    const moved = rows[0]?.moved ?? 0;
    total += moved;
    if (moved < COMPACT_BATCH) return total;
  }
}

/** Adds values to rollup rows (several processes may add to the same row). */
export async function writeRollups(knex: Knex, rows: readonly RollupRow[]): Promise<void> {
  if (rows.length === 0) return;
  // One row per key (a statement may not update a row twice), in one order
  // for everyone: two processes adding to the same rows cannot deadlock.
  const merged = new Map<string, RollupRow>();
  for (const row of rows) {
    const key = rollupKey(row);
    const found = merged.get(key);
    merged.set(key, found ? { ...found, value: found.value + row.value } : row);
  }
  const sorted = [...merged.keys()].sort().map((key) => merged.get(key)!);
  await knex.raw(
    `INSERT INTO metric_rollups (name, resolution, bucket, labels, user_id, value)
     SELECT * FROM unnest(?::text[], ?::int[], ?::timestamptz[], ?::jsonb[], ?::bigint[], ?::float8[])
     ON CONFLICT (name, resolution, bucket, labels, user_id)
     DO UPDATE SET value = metric_rollups.value + excluded.value`,
    [
      sorted.map((r) => r.name),
      sorted.map((r) => r.resolution),
      sorted.map((r) => r.bucket),
      sorted.map((r) => JSON.stringify(r.labels)),
      sorted.map((r) => r.userId),
      sorted.map((r) => r.value),
    ],
  );
}

function rollupKey(row: RollupRow): string {
  return `${row.name}\u0000${row.resolution}\u0000${row.bucket.toISOString()}\u0000${JSON.stringify(row.labels)}\u0000${row.userId}`;
}

/** Jobs due and not taken: the largest number seen in each minute and hour. */
export async function sampleGauges(knex: Knex): Promise<void> {
  await knex.raw(
    `INSERT INTO metric_rollups (name, resolution, bucket, labels, user_id, value)
     SELECT 'worker_jobs_waiting', r.resolution, date_trunc(r.unit, now()), '{}', 0, w.n
       FROM (VALUES (60, 'minute'), (3600, 'hour')) AS r (resolution, unit),
            (SELECT count(*) AS n FROM graphile_worker.jobs
              WHERE locked_at IS NULL AND run_at <= now() AND attempts < max_attempts) AS w
     ON CONFLICT (name, resolution, bucket, labels, user_id)
     DO UPDATE SET value = greatest(metric_rollups.value, excluded.value)`,
  );
}

export async function pruneRollups(knex: Knex, retention: HistoryRetention): Promise<void> {
  await knex.raw(
    `DELETE FROM metric_rollups
      WHERE (resolution = 60 AND bucket < now() - make_interval(hours => ?))
         OR (resolution = 3600 AND bucket < now() - make_interval(days => ?))`,
    [retention.minuteHours, retention.hourDays],
  );
}
