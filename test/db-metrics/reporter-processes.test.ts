/**
 * Who may be the reporter of the database metrics, with real processes on
 * one database: a process that exports no metrics (OTEL_METRICS_EXPORTER=none)
 * never holds the lock, even when it starts first, but still keeps the
 * history; a worker's child process (WORKER_PROCESSES=2), whose port may not
 * be scraped, never takes the lock over, even while its parent is stalled.
 */
import test from 'ava';
import { REPORTER_LOCK_KEY } from '../../src/metrics/readings';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { cutReporterSession } from '../helpers/database-metrics';
import { metricValue, scrape } from '../helpers/metrics';
import { freePort } from '../helpers/ports';
import { type SpawnedApp, spawnApp, waitForListening } from '../helpers/process';
import { sleep, waitUntil } from '../reliability/support';

let db: TestDatabase;
const processes: SpawnedApp[] = [];
const env: Record<string, string> = {
  METRICS_DATABASE_GAUGE_INTERVAL: '1',
  METRICS_REPORTER_HANDOVER: '0',
};

test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
});
test.after.always(async () => {
  for (const p of processes) {
    if (p.child.exitCode === null && p.child.signalCode === null) {
      p.child.kill('SIGCONT');
      p.child.kill('SIGTERM');
    }
  }
  await Promise.all(processes.map((p) => p.exited));
  await db?.close();
});

function start(args: string[], extra: Record<string, string>): SpawnedApp {
  const app = spawnApp(args, { ...env, DATABASE_URL: db.url, ...extra });
  processes.push(app);
  return app;
}

async function stop(app: SpawnedApp): Promise<void> {
  app.child.kill('SIGCONT');
  app.child.kill('SIGTERM');
  await app.exited;
}

/** Sessions holding the reporter's lock right now (0 or 1). */
async function reporterSessions(): Promise<number> {
  const { rows } = await db.knex.raw<{ rows: Array<{ n: number }> }>(
    // pg_locks is the whole server's: other test files' databases have reporters too.
    `SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND objsubid = 1 AND granted
        AND ((classid::bigint << 32) | objid::bigint) = ?
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [REPORTER_LOCK_KEY],
  );
  return rows[0]?.n ?? 0;
}

const reportsDatabaseSeries = async (metricsUrl: string) =>
  /^model_inserts_total\{/m.test(await scrape(metricsUrl));

test.serial(
  'a process that exports no metrics, started first, leaves the reporting to one that does',
  async (t) => {
    const silent = start(['worker'], { OTEL_METRICS_EXPORTER: 'none' });
    await silent.waitFor(/not standing for metrics reporter|now the metrics reporter/);
    t.notRegex(silent.output(), /now the metrics reporter/, 'it never holds the lock');

    const web = start(['web'], {});
    const url = await waitForListening(web);
    t.true(
      await waitUntil(() => reportsDatabaseSeries(url), 15_000),
      "the exporting process's /metrics shows the database series",
    );
    await db.knex('feeds').insert({ url: 'https://one.example/feed' });
    t.true(
      await waitUntil(
        async () => metricValue(await scrape(url), 'model_inserts_total', { model: 'feed' }) === 1,
        15_000,
      ),
      'and they are the database numbers',
    );

    // With the exporting process gone, the history is still kept.
    await stop(web);
    await db.knex('feeds').insert({ url: 'https://two.example/feed' });
    t.true(
      await waitUntil(async () => {
        const row = await db.knex('metric_events').count({ n: '*' }).first();
        return Number(row?.n) === 0;
      }, 15_000),
      'the events are moved into the totals by the non-exporting process',
    );
    await stop(silent);
  },
);

test.serial('a worker child process never becomes the reporter', async (t) => {
  const port = await freePort(2); // the child listens on port + 1
  const worker = start(['worker'], { WORKER_PROCESSES: '2', WORKER_METRICS_PORT: String(port) });
  const parentUrl = `http://127.0.0.1:${port}`;
  const childUrl = `http://127.0.0.1:${port + 1}`;
  await worker.waitFor(/"reason":"worker child process"[^\n]*not standing for metrics reporter/);
  t.true(await waitUntil(() => reportsDatabaseSeries(parentUrl), 15_000), 'the parent reports');
  t.true(await waitUntil(() => scrape(childUrl).then(() => true), 30_000), 'the child serves');
  t.false(await reportsDatabaseSeries(childUrl), 'the child does not');

  // The parent stalls and its session is cut: the child, free to take the
  // lock, must leave it alone (only the parent's port is sure to be scraped).
  worker.child.kill('SIGSTOP');
  t.is(await cutReporterSession(db.knex), 1);
  await sleep(3000); // three of the child's election rounds
  t.is(await reporterSessions(), 0, 'nobody took the lock while the parent stalled');
  t.false(await reportsDatabaseSeries(childUrl));
  worker.child.kill('SIGCONT');
  t.true(
    await waitUntil(() => reportsDatabaseSeries(parentUrl), 15_000),
    'the parent reports again',
  );
  t.false(await reportsDatabaseSeries(childUrl));
});
