/**
 * Worker processes killed with SIGKILL in the middle of a poll cycle: a new
 * worker finishes every poll exactly once (no duplicate feed items, one
 * successful run per job) within seconds — the heartbeats unlock the dead
 * worker's jobs instead of graphile-worker's 4-hour lock — while a live
 * worker's long job is never taken from it. (A worker killed mid-import:
 * test/imports/crash.test.ts.)
 */
import test from 'ava';
import type { Knex } from 'knex';
import { Model } from 'objection';
import { addJob } from '../../src/jobs';
import { type FixtureServer, startFixtureServer } from '../fetcher/fixture-server';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { databaseCounter } from '../helpers/database-metrics';
import { followFeeds } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';
import {
  type AppProcess,
  countRows,
  queuedJobs,
  quietKnex,
  rss,
  spawnWorker,
  stopAll,
  stopProcess,
  waitFor,
} from './support';

const ITEMS = 5;
let db: TestDatabase;
let knex: Knex;
let feeds: FixtureServer;
const workers: AppProcess[] = [];

const env = {
  FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
  WORKER_CONCURRENCY: '4',
  FEED_PER_HOST_CONCURRENCY: '4',
  WORKER_HEARTBEAT_INTERVAL_MS: '250',
  WORKER_STALE_AFTER_MS: '1500',
};

test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
  knex = quietKnex(db.url);
  Model.knex(knex);
  feeds = await startFixtureServer();
});

test.after.always(async () => {
  await stopAll();
  await feeds?.close();
  await knex?.destroy();
  await db?.close();
});

async function startWorker(): Promise<AppProcess> {
  const worker = await spawnWorker(db.url, env);
  workers.push(worker);
  return worker;
}

function slowFeed(path: string, delayMs: number, prefix: string): void {
  feeds.route(path, (_req, res) => {
    const timer = setTimeout(() => {
      res.setHeader('Content-Type', 'application/rss+xml');
      res.end(rss(prefix, ITEMS));
    }, delayMs);
    res.on('close', () => clearTimeout(timer));
  });
}

async function aFeed(path: string): Promise<number> {
  const [row] = await knex('feeds')
    .insert({ url: feeds.url(path) })
    .returning('id');
  const id = Number((row as { id: number | string }).id);
  await followFeeds(knex, [id]);
  return id;
}

async function duplicateGuids(feedId: number): Promise<number> {
  const rows = await knex('feed_items')
    .where({ feed_id: feedId })
    .groupBy('guid')
    .havingRaw('count(*) > 1')
    .select('guid');
  return rows.length;
}

const successes = (metrics: string) =>
  metricValue(metrics, 'worker_jobs_total', { task: 'poll_feed', outcome: 'success' });

test.serial('a live worker keeps its job even when it runs past the stale limit', async (t) => {
  const worker = await startWorker();
  t.teardown(() => stopProcess(worker));
  slowFeed('/long.xml', 4000, 'long'); // longer than WORKER_STALE_AFTER_MS
  const feedId = await aFeed('/long.xml');
  await addJob(knex, 'poll_feed', { feedId });
  await waitFor('the long poll to finish', async () => (await queuedJobs(knex)) === 0, 20_000);
  t.is(
    feeds.requestsTo('/long.xml').length,
    1,
    `fetched once: nobody took the job over\n${worker.app.output().slice(-3000)}`,
  );
  t.is(successes(await scrape(worker.url)), 1);
  t.is(await countRows(knex, 'feed_items', { feed_id: feedId }), ITEMS);
  t.notRegex(worker.app.output(), /unlocked the jobs of dead workers/);
});

test.serial(
  'a worker killed mid-poll: a new one finishes every poll exactly once, within seconds',
  async (t) => {
    const FEEDS = 4;
    const paths = Array.from({ length: FEEDS }, (_, i) => `/killed-${i}.xml`);
    const feedIds: number[] = [];
    for (const [i, path] of paths.entries()) {
      slowFeed(path, 2000, `killed${i}`);
      feedIds.push(await aFeed(path));
    }
    const doomed = await startWorker();
    // A poll cycle: the scheduler queues a poll for every due feed.
    await addJob(knex, 'schedule_feed_polls', {});
    await waitFor('every poll to be in flight', () =>
      paths.every((path) => feeds.requestsTo(path).length === 1),
    );
    t.is(successes(await scrape(doomed.url)), 0, 'none had finished when the worker died');
    doomed.app.child.kill('SIGKILL');
    await doomed.app.exited;
    const locked = await knex('graphile_worker.jobs')
      .where({ task_identifier: 'poll_feed' })
      .whereNotNull('locked_by');
    t.is(locked.length, FEEDS, 'the dead worker left its jobs locked');

    const killedAt = Date.now();
    const heir = await startWorker();
    const resumeMs = await waitFor(
      'the new worker to finish the polls',
      async () => (await queuedJobs(knex, 'poll_feed')) === 0,
      60_000,
    );
    t.log(
      `the killed worker's polls were done ${Date.now() - killedAt} ms after the kill, ` +
        `${resumeMs} ms after the new worker started (each poll takes 2 s)`,
    );
    // Seconds (2.5–3 s on a quiet box), not graphile-worker's 4-hour lock; generous for a busy CI box.
    t.true(resumeMs < 30_000, `resumed in ${resumeMs} ms, not after the 4-hour lock`);
    t.regex(heir.app.output(), /unlocked the jobs of dead workers/);

    for (const [i, feedId] of feedIds.entries()) {
      t.is(await countRows(knex, 'feed_items', { feed_id: feedId }), ITEMS);
      t.is(await duplicateGuids(feedId), 0);
      // At-least-once fetch (the killed attempt, then the retry), exactly-once write.
      t.is(feeds.requestsTo(paths[i]!).length, 2);
    }
    const metrics = await scrape(heir.url);
    t.is(successes(metrics), FEEDS, 'each poll succeeded once, on the new worker');
    // Counted by the database (whichever process reports it): once each.
    let discovered = 0;
    for (const feedId of feedIds) {
      discovered += await databaseCounter(knex, 'feed_items_discovered', {}, { feedId });
    }
    t.is(discovered, FEEDS * ITEMS);
  },
);
