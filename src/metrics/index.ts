/**
 * The metrics whose truth is the database (docs/metrics.md, "Counters kept
 * by the database" and "Gauges read from the database"), and the history
 * behind /status. Started by every long-running process.
 */
import { getTelemetry } from '../../otel/state';
import type { Config } from '../config';
import type { Database } from '../db/connection';
import { observeKnexPool } from '../db/metrics';
import { migrations } from '../db/migrations';
import type { Logger } from '../logging/logger';
import { startHistoryFlusher } from './history';
import { type MetricsReporter, startMetricsReporter } from './reporter';

export { databaseMetrics } from '../../otel/database-metrics';
export { DATABASE_COUNTERS, DATABASE_GAUGES, KNOWN_TASKS } from './catalog';
export { overdueFeedSql } from './feed-overdue';
export { countInHistory, HISTORY_BUCKETS, recordDurationInHistory } from './history';
export type { MetricsReporter } from './reporter';
export { compactEvents } from './rollups';
export { labelBookmarkWrites } from './write-context';

/** A worker whose heartbeat is older than this is not counted as running. */
export function workerStaleSeconds(config: Config): number {
  return Math.ceil(config.worker.staleAfterMs / 1000);
}

/** A polled feed this long past its due time is overdue (feed-overdue.ts): two poll intervals, at least 10 minutes. */
export function feedOverdueSeconds(config: Config): number {
  return Math.max(600, 2 * config.feeds.pollIntervalMinutes * 60);
}

export interface DatabaseMetricsRuntime {
  readonly reporter: MetricsReporter;
  /** Writes this process's history now (tests; a timer does it every minute). */
  flushHistory(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Resolves after the first election, so a first scrape already has its answer.
 * Every process keeps the history; only one that exports metrics, and is not
 * a worker's child (`workerChild`: its port may not be scraped), stands for
 * reporter.
 */
export async function startDatabaseMetrics(deps: {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly workerChild?: boolean;
}): Promise<DatabaseMetricsRuntime> {
  const { config, logger, db } = deps;
  const exportsMetrics = getTelemetry().status === 'running';
  const candidate = exportsMetrics && deps.workerChild !== true;
  if (!candidate) {
    logger.info(
      { reason: exportsMetrics ? 'worker child process' : 'this process exports no metrics' },
      'not standing for metrics reporter (keeping the metric history only)',
    );
  }
  const unobservePool = observeKnexPool(db.knex);
  const history = startHistoryFlusher({ knex: db.knex, logger });
  const reporter = startMetricsReporter({
    candidate,
    url: db.url,
    knex: db.knex,
    logger,
    intervalMs: config.metrics.databaseGaugeIntervalMs,
    handoverSeconds: config.metrics.reporterHandoverSeconds,
    retention: {
      minuteHours: config.status.minuteHistoryHours,
      hourDays: config.status.historyDays,
    },
    readings: {
      idLabels: config.metrics.idLabels,
      cardinalityLimit: config.metrics.cardinalityLimit,
      workerStaleSeconds: workerStaleSeconds(config),
      overdueSeconds: feedOverdueSeconds(config),
      pollIntervalSeconds: config.feeds.pollIntervalMinutes * 60,
      migrations: migrations.map(([name]) => name),
    },
  });
  await reporter.tick();
  return {
    reporter,
    flushHistory: () => history.flush(),
    async stop() {
      await reporter.stop();
      await history.stop();
      unobservePool();
    },
  };
}
