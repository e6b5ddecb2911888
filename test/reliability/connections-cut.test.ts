/**
 * pg_terminate_backend on every connection of a web and a worker process
 * (knex pools, graphile-worker's pool and LISTEN client, the heartbeat, the
 * database-metrics reporter), from an admin connection, while a job is running:
 * both recover without a restart.
 */
import test from 'ava';
import type { Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import { addJob } from '../../src/jobs';
import { type FixtureServer, startFixtureServer } from '../fetcher/fixture-server';
import { api } from '../helpers/client';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';
import {
  type AppProcess,
  countRows,
  isRunning,
  queuedJobs,
  quietKnex,
  rss,
  sleep,
  spawnWeb,
  spawnWorker,
  stopAll,
  stopProcess,
  waitFor,
} from './support';

let db: TestDatabase;
let knex: Knex;
let feeds: FixtureServer;
let web: AppProcess;
let worker: AppProcess;
let token: string;

test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
  knex = quietKnex(db.url);
  Model.knex(knex);
  feeds = await startFixtureServer();
  feeds.route('/slow.xml', (_req, res) => {
    setTimeout(() => {
      res.setHeader('Content-Type', 'application/rss+xml');
      res.end(rss('cut', 4));
    }, 1500);
  });
  const user = await aUser();
  token = await aToken(user.id);
  const env = {
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_HEARTBEAT_INTERVAL_MS: '500',
    METRICS_DATABASE_GAUGE_INTERVAL: '1',
    METRICS_REPORTER_HANDOVER: '1',
  };
  [web, worker] = await Promise.all([spawnWeb(db.url, env), spawnWorker(db.url, env)]);
});

test.after.always(async () => {
  await Promise.all([stopProcess(web), stopProcess(worker)]);
  await stopAll();
  await feeds?.close();
  await knex?.destroy();
  await db?.close();
});

async function terminateAll(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ terminated: number }>(
      `SELECT count(*)::int AS terminated FROM (
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE datname = $1 AND pid <> pg_backend_pid()) AS t`,
      [database],
    );
    return rows[0]!.terminated;
  } finally {
    await admin.end();
  }
}

async function connections(database: string): Promise<number> {
  const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    const { rows } = await admin.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
      [database],
    );
    return rows[0]!.n;
  } finally {
    await admin.end();
  }
}

/** One process (web or worker, whichever holds the lock) reports it: the sum of both. */
const waitingGauge = async () => {
  const both = (await scrape(web.url)) + (await scrape(worker.url));
  return metricValue(both, 'worker_jobs_waiting', { task: 'reliability_unknown' });
};

test.serial('every connection cut at once: web and worker recover without a restart', async (t) => {
  const database = new URL(db.url).pathname.slice(1);
  // Warm every pool, so that there are connections to cut.
  for (let i = 0; i < 5; i++) {
    t.is((await api(web.url, 'GET', '/api/v1/bookmarks', token)).status, 200);
  }
  // Jobs no worker knows stay queued: the database-gauge leader reports them.
  for (let i = 0; i < 3; i++) {
    await knex.raw(`select graphile_worker.add_job('reliability_unknown', '{}'::json)`);
  }
  await waitFor('the waiting-jobs gauge', async () => (await waitingGauge()) === 3);
  // A poll in flight when its connections go.
  const [row] = await knex('feeds')
    .insert({ url: feeds.url('/slow.xml') })
    .returning('id');
  const feedId = Number((row as { id: number | string }).id);
  await addJob(knex, 'poll_feed', { feedId });
  await waitFor('the poll to start', () => feeds.requestsTo('/slow.xml').length > 0, 10_000);

  const before = await connections(database);
  // Requests in flight across the cut, some on connections about to die.
  const statuses: number[] = [];
  const burst = Promise.all(
    Array.from({ length: 40 }, (_, i) =>
      sleep(i * 5).then(async () => {
        statuses.push((await api(web.url, 'GET', '/api/v1/bookmarks', token)).status);
      }),
    ),
  );
  await sleep(50);
  const terminated = await terminateAll(database);
  const cutAt = Date.now();
  await burst;
  t.log(`${before} connections to the app's database; ${terminated} terminated`);
  t.true(terminated >= 4, `${terminated} connections terminated`);

  // Requests succeed again within a few seconds; nothing is a 500 meanwhile.
  const readMs = await waitFor(
    'the API to answer again',
    async () => {
      const { status } = await api(web.url, 'GET', '/api/v1/bookmarks', token);
      statuses.push(status);
      return status === 200;
    },
    15_000,
  );
  const write = await api(web.url, 'POST', '/api/v1/bookmarks', token, {
    url: 'https://cut.invalid/after',
    title: 'written after the cut',
  });
  t.is(write.status, 201);
  t.is((await fetch(`${web.url}/readyz`)).status, 200);
  t.deepEqual(
    statuses.filter((s) => s !== 200 && s !== 503),
    [],
    `only 200 or 503 while reconnecting: ${web.app
      .output()
      .split('\n')
      .filter((l) => l.includes('request failed'))
      .join('\n')
      .slice(0, 3000)}`,
  );

  // The poll that was running when its connections went completes, once; new jobs run.
  const jobsMs = await waitFor(
    'the poll running across the cut to complete',
    async () => (await queuedJobs(knex, 'poll_feed')) === 0,
    20_000,
  );
  t.is(await countRows(knex, 'feed_items', { feed_id: feedId }), 4);
  const [again] = await knex('feeds')
    .insert({ url: feeds.url('/slow.xml?2') })
    .returning('id');
  const againId = Number((again as { id: number | string }).id);
  await addJob(knex, 'poll_feed', { feedId: againId });
  await waitFor('a poll queued after the cut', async () => {
    return (await countRows(knex, 'feed_items', { feed_id: againId })) === 4;
  });
  const metrics = await scrape(worker.url);
  t.is(metricValue(metrics, 'worker_jobs_total', { task: 'poll_feed', outcome: 'success' }), 2);
  t.is(metricValue(metrics, 'worker_jobs_total', { outcome: 'failed' }), 0);
  // The gauge leader reconnected (or another took over) and reports again.
  await waitFor('the waiting-jobs gauge after the cut', async () => (await waitingGauge()) === 3);
  // Heartbeats are written again.
  const beat = await knex('worker_heartbeats').max('last_seen_at as at').first();
  t.true(new Date(beat!.at as Date).getTime() > cutAt, 'a heartbeat after the cut');

  t.log(
    `during the cut: ${statuses.filter((s) => s === 503).length} × 503 of ${statuses.length}; ` +
      `the API answered 200 again after ${readMs} ms; the running poll was done ${jobsMs} ms later`,
  );
  t.true(isRunning(web));
  t.true(isRunning(worker));
});
