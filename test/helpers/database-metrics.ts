import { migrations } from '../../src/db/migrations';
import { createLogger } from '../../src/logging/logger';
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
      migrations: migrations.map(([name]) => name),
    },
  });
  for (let i = 0; i < 50 && !reporter.isLeader(); i++) await reporter.tick();
  if (!reporter.isLeader()) throw new Error('the test process could not become the reporter');
  return reporter;
}
