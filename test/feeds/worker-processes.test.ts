/**
 * WORKER_PROCESSES=2: `main.js worker` starts a second worker process on the
 * same database (two live heartbeats), every feed is polled and stored once,
 * a child that dies is started again, and a child whose parent is killed
 * outright stops by itself.
 */
import fs from 'node:fs';
import test from 'ava';
import type { Knex } from 'knex';
import { Model } from 'objection';
import { queueFeedPolls } from '../../src/feeds';
import { type FixtureServer, startFixtureServer } from '../fetcher/fixture-server';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { countRows, quietKnex, rss, spawnWorker, stopAll, waitFor } from '../reliability/support';

const FEEDS = 12;
let db: TestDatabase;
let knex: Knex;
let feeds: FixtureServer;

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

/** The processes (host:pid) with a recent heartbeat. */
async function liveProcesses(): Promise<string[]> {
  const rows: Array<{ process: string }> = await knex('worker_heartbeats')
    .distinct('process')
    .where('last_seen_at', '>', knex.raw("now() - interval '10 seconds'"));
  return rows.map((r) => r.process);
}

const pidOf = (processName: string) => Number(processName.slice(processName.lastIndexOf(':') + 1));
/** Running (a zombie waiting for whoever adopted it to reap it counts as stopped). */
const alive = (pid: number) => {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
};

test('two worker processes share the polls; the second stops with the first', async (t) => {
  const ids: number[] = [];
  for (let n = 0; n < FEEDS; n++) {
    const path = `/processes-${n}.xml`;
    feeds.route(path, (_req, res) => {
      // A little latency, so both processes take jobs while the others wait.
      setTimeout(
        () => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(rss(`p${n}`, 3)),
        150,
      );
    });
    const [row] = await knex('feeds')
      .insert({ url: feeds.url(path) })
      .returning('id');
    ids.push((row as { id: number }).id);
  }
  const worker = await spawnWorker(db.url, {
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_PROCESSES: '2',
    WORKER_CONCURRENCY: '2',
    WORKER_HEARTBEAT_INTERVAL_MS: '200',
  });
  // Generous waits: starting a Node process takes seconds on a loaded machine.
  const BOOT_MS = 90_000;
  await waitFor(
    'two live worker processes',
    async () => (await liveProcesses()).length === 2,
    BOOT_MS,
  );
  const processes = await liveProcesses();
  const child = processes.map(pidOf).find((pid) => pid !== worker.app.child.pid)!;
  t.truthy(child, 'a second process, not the one spawned');

  await queueFeedPolls(knex, ids);
  await waitFor(
    'every feed polled',
    async () => (await countRows(knex, 'feeds', { last_status: 'success' })) === FEEDS,
    BOOT_MS,
  );
  t.is(await countRows(knex, 'feed_items'), FEEDS * 3, 'each feed stored once');

  // A second process that dies is started again.
  process.kill(child, 'SIGKILL');
  let restarted = 0;
  await waitFor(
    'a new second process',
    async () => {
      const pids = (await liveProcesses()).map(pidOf);
      restarted = pids.find((pid) => pid !== worker.app.child.pid && pid !== child) ?? 0;
      return restarted > 0 && alive(restarted);
    },
    BOOT_MS,
  );
  t.false(alive(child));

  // Killed outright, the first process cannot stop the second: it stops on its own.
  worker.app.child.kill('SIGKILL');
  await waitFor('the second process to stop', () => !alive(restarted), BOOT_MS);
  t.false(alive(restarted));
});
