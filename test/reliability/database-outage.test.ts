/**
 * PostgreSQL stopped for ~10 s under a web and a worker process, with traffic
 * and jobs running. During the outage pages answer 503 (a friendly HTML page,
 * or the JSON error on the API), /healthz and /metrics keep answering and
 * /readyz fails; afterwards /readyz recovers, the worker resumes, every job
 * queued before the outage completes exactly once and no process exited.
 */
import test from 'ava';
import { addJob } from '../../src/jobs';
import { type FixtureServer, startFixtureServer } from '../fetcher/fixture-server';
import { api } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';
import {
  type AppProcess,
  countRows,
  type DedicatedPostgres,
  isRunning,
  queuedJobs,
  rss,
  sleep,
  spawnWeb,
  spawnWorker,
  startDedicatedPostgres,
  stopAll,
  stopProcess,
  waitFor,
} from './support';

const OUTAGE_MS = Number(process.env.RELIABILITY_OUTAGE_MS ?? 10_000);
const FEEDS = 6;
const ITEMS_PER_FEED = 5;

let pgx: DedicatedPostgres;
let feeds: FixtureServer;
let web: AppProcess;
let worker: AppProcess;
let token: string;

test.before(async () => {
  pgx = await startDedicatedPostgres();
  feeds = await startFixtureServer();
  for (let i = 0; i < FEEDS; i++) {
    // Slow enough that polls are in flight when the database goes away.
    feeds.route(`/slow-${i}.xml`, (_req, res) => {
      setTimeout(() => {
        res.setHeader('Content-Type', 'application/rss+xml');
        res.end(rss(`outage${i}`, ITEMS_PER_FEED));
      }, 1500);
    });
  }
  const user = await aUser();
  token = await aToken(user.id);
  const env = {
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    WORKER_CONCURRENCY: '2',
    WORKER_HEARTBEAT_INTERVAL_MS: '1000',
  };
  [web, worker] = await Promise.all([spawnWeb(pgx.url, env), spawnWorker(pgx.url, env)]);
});

test.after.always(async () => {
  await Promise.all([stopProcess(web), stopProcess(worker)]);
  await stopAll();
  await feeds?.close();
  await pgx?.destroy();
});

interface Sample {
  readonly phase: 'before' | 'down' | 'after';
  readonly name: string;
  readonly status: number;
  readonly type: string;
  readonly body: string;
}

type Probe = { name: string; run: () => Promise<Response> };

function probes(created: string[]): Probe[] {
  const bearer = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const get =
    (base: string, path: string, headers: Record<string, string> = {}) =>
    () =>
      fetch(`${base}${path}`, { headers, signal: AbortSignal.timeout(15_000) });
  let n = 0;
  return [
    { name: 'web /healthz', run: get(web.url, '/healthz') },
    { name: 'web /metrics', run: get(web.url, '/metrics') },
    { name: 'web /readyz', run: get(web.url, '/readyz') },
    { name: 'worker /healthz', run: get(worker.url, '/healthz') },
    { name: 'worker /metrics', run: get(worker.url, '/metrics') },
    { name: 'page /bookmarks', run: get(web.url, '/bookmarks', { accept: 'text/html' }) },
    { name: 'page /t', run: get(web.url, '/t', { accept: 'text/html' }) },
    { name: 'api GET /api/v1/bookmarks', run: get(web.url, '/api/v1/bookmarks', bearer) },
    {
      name: 'api POST /api/v1/bookmarks',
      run: () => {
        n += 1;
        const url = feeds.url(`/bookmarked-page-${n}`);
        created.push(url);
        return fetch(`${web.url}/api/v1/bookmarks`, {
          method: 'POST',
          headers: { ...bearer, 'content-type': 'application/json' },
          body: JSON.stringify({ url, title: `during the outage ${n}` }),
          signal: AbortSignal.timeout(15_000),
        });
      },
    },
  ];
}

async function sampleAll(
  list: Probe[],
  phase: Sample['phase'],
  acknowledged: Set<string>,
  created: string[],
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (const probe of list) {
    let status = 0;
    let type = '';
    let body = '';
    try {
      const response = await probe.run();
      status = response.status;
      type = response.headers.get('content-type') ?? '';
      body = await response.text();
    } catch (error) {
      body = String(error);
    }
    if (probe.name === 'api POST /api/v1/bookmarks' && status === 201) {
      acknowledged.add(created[created.length - 1]!);
    }
    samples.push({ phase, name: probe.name, status, type, body: body.slice(0, 2000) });
  }
  return samples;
}

test.serial('a 10 s PostgreSQL outage: 503s, live health, recovery, no job lost', async (t) => {
  const created: string[] = [];
  const acknowledged = new Set<string>();
  const list = probes(created);
  const samples: Sample[] = [];
  samples.push(...(await sampleAll(list, 'before', acknowledged, created)));
  const webPid = web.app.child.pid;
  const workerPid = worker.app.child.pid;

  // Jobs queued before the outage: some run into it, the rest are due during it.
  const feedIds: number[] = [];
  for (let i = 0; i < FEEDS; i++) {
    const [row] = await pgx
      .knex('feeds')
      .insert({ url: feeds.url(`/slow-${i}.xml`) })
      .returning('id');
    feedIds.push(Number((row as { id: number | string }).id));
  }
  for (const [i, feedId] of feedIds.entries()) {
    const runAt = i < FEEDS / 2 ? undefined : new Date(Date.now() + 4000);
    await addJob(pgx.knex, 'poll_feed', { feedId }, { runAt });
  }
  await waitFor(
    'a poll to be in flight',
    () => feeds.requests.some((r) => r.path.startsWith('/slow-')),
    10_000,
  ).catch((error) => {
    t.log(worker.app.output().slice(-4000));
    throw error;
  });

  await pgx.stop();
  const downAt = Date.now();
  while (Date.now() - downAt < OUTAGE_MS) {
    samples.push(...(await sampleAll(list, 'down', acknowledged, created)));
    await sleep(300);
  }
  await pgx.start();
  const upAt = Date.now();

  const readyMs = await waitFor(
    '/readyz to recover',
    async () => (await fetch(`${web.url}/readyz`)).status === 200,
    30_000,
  );
  const writeMs = await waitFor(
    'the API to accept writes again',
    async () =>
      (
        await api(web.url, 'POST', '/api/v1/bookmarks', token, {
          url: feeds.url(`/bookmarked-after-${Date.now()}`),
        })
      ).status === 201,
    30_000,
  );
  samples.push(...(await sampleAll(list, 'after', acknowledged, created)));
  await waitFor(
    'every queued job to finish',
    async () => (await queuedJobs(pgx.knex)) === 0,
    60_000,
  ).catch(async (error) => {
    t.log(
      await pgx
        .knex('graphile_worker.jobs')
        .select('id', 'task_identifier', 'attempts', 'locked_by'),
    );
    t.log(worker.app.output().slice(-4000));
    throw error;
  });
  const jobsMs = Date.now() - upAt;
  t.log(
    `outage ${upAt - downAt} ms; after the restart /readyz answered 200 in ${readyMs} ms, ` +
      `the API wrote again in ${writeMs} ms more, every queued job was done ${jobsMs} ms after the restart`,
  );

  // During the outage: 503 with a friendly page or the JSON error; health and metrics answer.
  const down = samples.filter((s) => s.phase === 'down');
  t.true(down.length >= list.length * 3, `${down.length} probes during the outage`);
  for (const s of down) {
    const where = `${s.name} during the outage answered ${s.status}: ${s.body.slice(0, 300)}`;
    if (/healthz|metrics/.test(s.name)) {
      t.is(s.status, 200, where);
    } else if (s.name === 'web /readyz') {
      t.is(s.status, 503, where);
    } else if (s.name.startsWith('page')) {
      t.is(s.status, 503, where);
      t.regex(s.type, /text\/html/, where);
      t.regex(s.body, /Temporarily unavailable/, where);
      t.regex(s.body, /The database is unavailable/, where);
    } else {
      t.is(s.status, 503, where);
      t.is((JSON.parse(s.body) as { error: { code: string } }).error.code, 'service_unavailable');
    }
  }
  // Never a 500, before, during or after.
  const fives = samples.filter((s) => s.status >= 500 && s.status !== 503);
  t.deepEqual(
    fives.map((s) => `${s.phase} ${s.name} ${s.status}`),
    [],
  );
  for (const s of samples.filter((s) => s.phase !== 'down')) {
    t.true(s.status >= 200 && s.status < 300, `${s.phase} ${s.name} answered ${s.status}`);
  }

  // Every acknowledged write is there, once.
  const stored = await pgx
    .knex('bookmarks')
    .whereIn('url', [...acknowledged])
    .select('url');
  t.is(stored.length, acknowledged.size);

  // Every poll queued before the outage completed exactly once: all items, no duplicates,
  // one success per job in the worker's own count.
  for (const feedId of feedIds) {
    t.is(await countRows(pgx.knex, 'feed_items', { feed_id: feedId }), ITEMS_PER_FEED);
    const feed = await pgx.knex('feeds').where({ id: feedId }).first();
    t.truthy(feed.last_polled_at, `feed ${feedId} was polled`);
  }
  const workerMetrics = await scrape(worker.url);
  t.is(
    metricValue(workerMetrics, 'worker_jobs_total', { task: 'poll_feed', outcome: 'success' }),
    FEEDS,
  );
  t.is(metricValue(workerMetrics, 'worker_jobs_total', { outcome: 'failed' }), 0);
  const retried = metricValue(workerMetrics, 'worker_jobs_total', {
    task: 'poll_feed',
    outcome: 'retry',
  });
  t.log(`poll_feed attempts that failed on the outage and were retried: ${retried}`);

  // The worker still takes new jobs, and nobody exited or restarted.
  const [row] = await pgx
    .knex('feeds')
    .insert({ url: feeds.url('/slow-0.xml?again') })
    .returning('id');
  await addJob(pgx.knex, 'poll_feed', { feedId: Number((row as { id: number | string }).id) });
  await waitFor('a job queued after the outage', async () => (await queuedJobs(pgx.knex)) === 0);
  t.true(isRunning(web), web.app.output().slice(-2000));
  t.true(isRunning(worker), worker.app.output().slice(-2000));
  t.is(web.app.child.pid, webPid);
  t.is(worker.app.child.pid, workerPid);
});
