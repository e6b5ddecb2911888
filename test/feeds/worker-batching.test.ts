/**
 * The worker's batching settings reach graphile-worker: with a local queue,
 * one fetch locks several poll jobs while a single slot runs the first;
 * the defaults turn batching on, sized from the concurrency.
 */
import test from 'ava';
import { loadConfig } from '../../src/config';
import { Feed, queueFeedPolls, waitForJobs } from '../../src/feeds';
import { type FixtureServer, fixture, startFixtureServer } from '../fetcher/fixture-server';
import { startTestApp, type TestApp } from '../helpers/app';

let app: TestApp;
let server: FixtureServer;

test.before(async () => {
  server = await startFixtureServer();
  server.route('/slow.xml', (_req, res) => {
    setTimeout(() => {
      res.setHeader('Content-Type', 'application/rss+xml');
      res.end(fixture('rss2.xml'));
    }, 1500);
  });
  app = await startTestApp({
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_CONCURRENCY: '1',
    WORKER_LOCAL_QUEUE_SIZE: '5',
  });
});
test.after.always(async () => {
  await app?.stop();
  await server?.close();
});

test('defaults: a local queue of WORKER_CONCURRENCY + 1, completions and failures batched', (t) => {
  const worker = loadConfig({ WORKER_CONCURRENCY: '8' }).worker;
  t.is(worker.localQueueSize, 9);
  t.is(worker.completeJobBatchDelayMs, 0);
  t.is(worker.failJobBatchDelayMs, 0);
  t.is(loadConfig({ WORKER_LOCAL_QUEUE_SIZE: '0' }).worker.localQueueSize, 0);
});

test('a local queue locks a batch of jobs in one fetch; one slot runs them in turn', async (t) => {
  const feeds = await Promise.all(
    [1, 2, 3].map((n) => Feed.query().insert({ url: server.url(`/slow.xml?n=${n}`) })),
  );
  // One transaction: the three become visible to the worker at once.
  const jobIds = await app.db.knex.transaction((trx) =>
    queueFeedPolls(
      trx,
      feeds.map((f) => f.id),
    ),
  );
  // While the first poll waits on the slow server, all three are locked.
  const deadline = Date.now() + 10_000;
  let locked = 0;
  while (Date.now() < deadline) {
    const { rows } = await app.db.knex.raw<{ rows: Array<{ n: number }> }>(
      `select count(*)::int as n from graphile_worker.jobs
        where id = any(?::bigint[]) and locked_by is not null`,
      [jobIds],
    );
    locked = rows[0]?.n ?? 0;
    if (locked === 3) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  t.is(locked, 3, 'one fetch locked every queued job (a worker without a local queue locks one)');
  t.true(await waitForJobs(app.db.knex, jobIds, 20_000));
  const rows = await Feed.query().findByIds(feeds.map((f) => f.id));
  t.true(rows.every((row) => row.last_status === 'success'));
});
