import { migrations } from '../../src/db/migrations';
import { createLogger } from '../../src/logging/logger';
import { REPORTER_LOCK_KEY } from '../../src/metrics/readings';
import { type MetricsReporter, startMetricsReporter } from '../../src/metrics/reporter';
import type { TestDatabase } from './database';

/**
 * Makes this test process the reporter of `db`'s database metrics (no
 * hand-over wait), so that an in-process scrape shows what the database
 * says. Resolves once it holds the lock.
 */
export async function reportDatabaseMetrics(
  db: Pick<TestDatabase, 'url' | 'knex'>,
  options: { idLabels?: boolean } = {},
): Promise<MetricsReporter> {
  const reporter = startMetricsReporter({
    candidate: true,
    url: db.url,
    knex: db.knex,
    logger: createLogger('silent'),
    intervalMs: 3_600_000,
    handoverSeconds: 0,
    retention: { minuteHours: 48, hourDays: 35 },
    readings: {
      idLabels: options.idLabels ?? true,
      cardinalityLimit: 2000,
      workerStaleSeconds: 30,
      overdueSeconds: 3600,
      pollIntervalSeconds: 1800,
      migrations: migrations.map(([name]) => name),
    },
  });
  for (let i = 0; i < 50 && !reporter.isLeader(); i++) await reporter.tick();
  if (!reporter.isLeader()) throw new Error('the test process could not become the reporter');
  return reporter;
}

/**
 * A counter as the database keeps it (totals + events not yet compacted):
 * the value the reporter exports, summed over the series whose labels
 * include `labels` (and, when given, of one user or feed).
 */
export async function databaseCounter(
  knex: TestDatabase['knex'],
  name: string,
  labels: Record<string, string> = {},
  ids: { readonly userId?: number; readonly feedId?: number } = {},
): Promise<number> {
  const { rows } = await knex.raw<{ rows: Array<{ value: number }> }>(
    `SELECT coalesce(sum(value), 0)::float8 AS value FROM (
       SELECT name, labels, user_id, feed_id, value FROM metric_owner_totals
       UNION ALL SELECT name, labels, user_id, feed_id, value FROM metric_events) t
      WHERE name = ? AND labels @> ?::jsonb
        AND (?::bigint IS NULL OR user_id = ?) AND (?::bigint IS NULL OR feed_id = ?)`,
    [
      name,
      JSON.stringify(labels),
      ids.userId ?? null,
      ids.userId ?? null,
      ids.feedId ?? null,
      ids.feedId ?? null,
    ],
  );
  return rows[0]?.value ?? 0;
}

/**
 * Terminates the session that holds the metrics reporter's advisory lock on
 * `db` (as a PostgreSQL restart or a failover would end it); answers how many
 * sessions were ended (1 when a reporter held the lock).
 */
export async function cutReporterSession(knex: TestDatabase['knex']): Promise<number> {
  const { rows } = await knex.raw<{ rows: Array<{ ok: boolean }> }>(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
      WHERE locktype = 'advisory' AND objsubid = 1 AND granted
        AND ((classid::bigint << 32) | objid::bigint) = ?
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [REPORTER_LOCK_KEY],
  );
  return rows.filter((row) => row.ok).length;
}
