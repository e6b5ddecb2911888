/**
 * The one statement the reporter runs for each collection: it proves that
 * this session still holds the reporter's advisory lock (and records when it
 * exported, for the next reporter's hand-over), and reads every database
 * metric in the same snapshot. Without the proof its answer is nothing.
 *
 * Counters are metric_totals plus the events not yet moved into them, so the
 * value is exact at that snapshot whatever the compaction is doing.
 */
import { type Attributes, ValueType } from '@opentelemetry/api';
import { hrTime, millisToHrTime } from '@opentelemetry/core';
import { AggregationTemporality, DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import { POLLED_FEED_SQL } from '../feeds/scheduler';
import { DATABASE_COUNTERS, DATABASE_GAUGES, type DatabaseMetric, type IdLabel } from './catalog';
import { overdueFeedSql } from './feed-overdue';

export const REPORTER_LOCK_KEY = 7_215_904_311; // fixed: "pebbling-club metrics reporter"
/** Held by the one process that keeps the history (reporter.ts); any process may. */
export const HOUSEKEEPING_LOCK_KEY = 7_215_904_313; // …311 + 2: …312 is the migrations lock (db/migrate.ts)

export interface ReadingOptions {
  readonly idLabels: boolean;
  readonly cardinalityLimit: number;
  /** A worker whose heartbeat is older is not counted in worker_processes. */
  readonly workerStaleSeconds: number;
  /** A feed this long past its due time counts in feeds_overdue. */
  readonly overdueSeconds: number;
  /** FEED_POLL_INTERVAL in seconds (feed-overdue.ts). */
  readonly pollIntervalSeconds: number;
  /** The migrations this release knows, for db_migrations_pending. */
  readonly migrations: readonly string[];
}

export interface ReadingRow {
  readonly kind: 'proof' | 'counter' | 'gauge';
  readonly name: string | null;
  readonly labels: Record<string, string> | null;
  readonly user_id: number;
  readonly feed_id: number;
  readonly value: number;
  readonly since: Date | null;
}

/** $1 holder name, $2 lock key, $3 stale seconds, $4 overdue seconds, $5 migrations, $6 poll interval seconds. */
export function readingStatement(idLabels: boolean): string {
  // Without ids, the totals per label set: a few hundred rows, whatever the
  // number of users and feeds. With them, the totals per user and feed.
  const ids = idLabels
    ? {
        totals: 'SELECT name, labels, user_id, feed_id, value FROM metric_owner_totals',
        user: 'CASE WHEN u.id IS NULL THEN 0 ELSE e.user_id END',
        feed: 'CASE WHEN f.id IS NULL THEN 0 ELSE e.feed_id END',
        joins:
          'LEFT JOIN users u ON u.id = e.user_id AND e.user_id <> 0 ' +
          'LEFT JOIN feeds f ON f.id = e.feed_id AND e.feed_id <> 0',
      }
    : {
        totals: 'SELECT name, labels, 0::bigint, 0::bigint, value FROM metric_totals',
        user: '0',
        feed: '0',
        joins: '',
      };
  const proven = 'AND (SELECT ok FROM proven)';
  return `
WITH proof AS (
  UPDATE metric_reporter SET holder = $1, exported_at = now()
   WHERE id = 1 AND EXISTS (
     SELECT 1 FROM pg_locks
      WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted AND objsubid = 1
        AND ((classid::bigint << 32) | objid::bigint) = $2::bigint)
  RETURNING counting_since
), proven AS (SELECT count(*) > 0 AS ok, max(counting_since) AS since FROM proof),
events AS (
  ${ids.totals}
  UNION ALL
  SELECT name, labels, user_id, feed_id, value FROM metric_events
)
SELECT 'proof' AS kind, NULL AS name, NULL::jsonb AS labels, 0::bigint AS user_id,
       0::bigint AS feed_id, 0::float8 AS value, since FROM proven WHERE ok
UNION ALL
SELECT 'counter', e.name, e.labels, ${ids.user}, ${ids.feed}, sum(e.value)::float8, NULL
  FROM events e ${ids.joins}
 WHERE true ${proven}
 GROUP BY 1, 2, 3, 4, 5
UNION ALL
SELECT 'gauge', 'worker_jobs_waiting', jsonb_build_object('task', task_identifier), 0, 0, count(*), NULL
  FROM graphile_worker.jobs
 WHERE locked_at IS NULL AND run_at <= now() AND attempts < max_attempts ${proven}
 GROUP BY task_identifier
UNION ALL
SELECT 'gauge', 'worker_processes', '{}', 0, 0, count(*), NULL FROM worker_heartbeats
 WHERE last_seen_at > now() - make_interval(secs => $3) ${proven}
UNION ALL
SELECT 'gauge', 'active_feeds', '{}', 0, 0, count(*), NULL FROM feeds
 WHERE ${POLLED_FEED_SQL} ${proven}
UNION ALL
SELECT 'gauge', 'feeds_overdue', '{}', 0, 0, count(*), NULL FROM feeds
 WHERE ${overdueFeedSql('$6::int', '$4::int')} ${proven}
UNION ALL
SELECT 'gauge', 'bookmark_imports_running', '{}', 0, 0, count(*), NULL FROM import_jobs
 WHERE status = 'processing' ${proven}
UNION ALL
SELECT 'gauge', 'bookmark_import_items_processed', '{}', 0, 0,
       coalesce(sum(processed_bookmarks), 0), NULL FROM import_jobs
 WHERE status = 'processing' ${proven}
UNION ALL
SELECT 'gauge', 'db_migrations_applied', '{}', 0, 0, count(*), NULL FROM knex_migrations
 WHERE true ${proven}
UNION ALL
SELECT 'gauge', 'db_migrations_pending', '{}', 0, 0, count(*), NULL
  FROM unnest($5::text[]) AS m (name)
 WHERE NOT EXISTS (SELECT 1 FROM knex_migrations k WHERE k.name = m.name) ${proven}`;
}

export function readingValues(holder: string, options: ReadingOptions): unknown[] {
  return [
    holder,
    REPORTER_LOCK_KEY,
    options.workerStaleSeconds,
    options.overdueSeconds,
    [...options.migrations],
    options.pollIntervalSeconds,
  ];
}

interface Series {
  attributes: Record<string, string | number>;
  value: number;
}

/**
 * The rows as metric data: every known label set present (0 when the
 * database has nothing yet), ids kept only when asked for, and at most
 * `cardinalityLimit` series per metric — the rest folded into one series per
 * remaining label set, marked `otel_metric_overflow="true"`, so sums stay whole.
 */
export function toMetricData(rows: readonly ReadingRow[], options: ReadingOptions): MetricData[] {
  const proof = rows.find((row) => row.kind === 'proof');
  if (!proof) return [];
  const now = hrTime();
  const since = proof.since ? millisToHrTime(proof.since.getTime()) : now;
  const out: MetricData[] = [];
  for (const [kind, catalog] of [
    ['counter', DATABASE_COUNTERS],
    ['gauge', DATABASE_GAUGES],
  ] as const) {
    for (const metric of catalog) {
      const series = seriesOf(
        metric,
        rows.filter((row) => row.kind === kind && row.name === metric.name),
        options,
      );
      const dataPoints = series.map((s) => ({
        startTime: kind === 'counter' ? since : now,
        endTime: now,
        attributes: s.attributes as Attributes,
        value: s.value,
      }));
      const descriptor = {
        name: metric.name,
        description: metric.description,
        unit: metric.unit,
        valueType: ValueType.INT,
      };
      out.push(
        kind === 'counter'
          ? {
              descriptor,
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.SUM,
              isMonotonic: true,
              dataPoints,
            }
          : {
              descriptor,
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.GAUGE,
              dataPoints,
            },
      );
    }
  }
  return out;
}

function seriesOf(
  metric: DatabaseMetric,
  rows: readonly ReadingRow[],
  options: ReadingOptions,
): Series[] {
  const idLabel: IdLabel | undefined = options.idLabels ? metric.idLabel : undefined;
  const byKey = new Map<string, Series & { id: number }>();
  const add = (labels: Record<string, string>, id: number, value: number) => {
    const attributes: Record<string, string | number> = { ...labels };
    if (idLabel && id !== 0) attributes[idLabel] = id;
    const key = JSON.stringify(Object.entries(attributes).sort());
    const found = byKey.get(key);
    if (found) found.value += value;
    else byKey.set(key, { attributes, value, id });
  };
  for (const labels of metric.known) add(labels, 0, 0);
  for (const row of rows) {
    add(row.labels ?? {}, idLabel === 'feed_id' ? row.feed_id : row.user_id, row.value);
  }
  const all = [...byKey.values()];
  if (all.length <= options.cardinalityLimit) return all;
  // Stable across scrapes: the lowest ids keep their own series.
  all.sort((a, b) => a.id - b.id);
  const kept = all.slice(0, Math.max(1, options.cardinalityLimit - 1));
  const overflow = new Map<string, Series>();
  for (const extra of all.slice(kept.length)) {
    const { [idLabel ?? '']: _id, ...rest } = extra.attributes;
    const key = JSON.stringify(Object.entries(rest).sort());
    const found = overflow.get(key);
    if (found) found.value += extra.value;
    else
      overflow.set(key, {
        attributes: { ...rest, otel_metric_overflow: 'true' },
        value: extra.value,
      });
  }
  return [...kept, ...overflow.values()];
}
