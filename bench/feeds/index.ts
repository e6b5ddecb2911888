/**
 * Feed polling: 1 000 feeds of 50 items on a local fixture server, one full
 * poll cycle through graphile-worker (the app's worker process), first with
 * empty feeds (200, parse, store 50 000 items) and then again (304: the
 * stored ETag matches). Polls are queued the way the app's cron does it,
 * with scheduleFeedPolls. Baseline: the same fetches and parsing in one
 * process at the worker's concurrency, with no database and no queue.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Knex } from 'knex';
import { loadConfig } from '../../src/config';
import { createKnex } from '../../src/db/connection';
import { parseFeedDocument, processFeed, scheduleFeedPolls } from '../../src/feeds';
import { createFetcher } from '../../src/fetcher';
import { cpuMsOf, treeCpuMs } from '../lib/cpu';
import { freePort } from '../lib/ports';
import { type BenchPostgres, POSTGRES_NOTE, startBenchPostgres } from '../lib/postgres';
import { type Child, spawnApp, spawnNode } from '../lib/process';
import {
  formatProfile,
  monotonicUs,
  newestProfile,
  type ProfileWindow,
  summarizeProfile,
} from '../lib/profile';
import { log, RESULTS_DIR, Recorder, runBench } from '../lib/results';
import { round, sleep } from '../lib/stats';

const FEEDS = Number(process.env.BENCH_FEEDS ?? 1000);
const ITEMS = 50;
const HOSTS = 8;
const CONCURRENCY = Number(process.env.BENCH_WORKER_CONCURRENCY ?? 4);
/** A second configuration, to show what the worker's concurrency buys. */
const HIGH_CONCURRENCY = Number(process.env.BENCH_FEEDS_HIGH_CONCURRENCY ?? 16);
/** BENCH_FEEDS_QUICK=1: the main pass only, for quick comparisons; writes no result file. */
const QUICK = process.env.BENCH_FEEDS_QUICK === '1';
/** With BENCH_FEEDS_QUICK=1, BENCH_FEEDS_PROFILE=<dir> runs that pass's worker under --cpu-prof. */
const QUICK_PROFILE = QUICK ? process.env.BENCH_FEEDS_PROFILE : undefined;

interface Cycle {
  readonly seconds: number;
  readonly feedsPerSecond: number;
  readonly statuses: Record<string, number>;
  /** CPU time per feed: the worker process, PostgreSQL (all backends). */
  readonly workerCpuMsPerFeed: number;
  readonly postgresCpuMsPerFeed: number;
  /** Monotonic window of the cycle, for the profile. */
  readonly window: ProfileWindow;
}

interface CpuProbe {
  readonly workerPid: number;
  readonly postgresPid: number | undefined;
}

function feedUrl(port: number, n: number): string {
  return `http://127.0.0.${1 + (n % HOSTS)}:${port}/feeds/${n}.xml`;
}

async function insertFeeds(knex: Knex, port: number): Promise<void> {
  const rows = Array.from({ length: FEEDS }, (_, n) => ({
    url: feedUrl(port, n),
    title: '',
    next_poll_at: knex.fn.now(),
  }));
  for (let i = 0; i < rows.length; i += 500) await knex('feeds').insert(rows.slice(i, i + 500));
}

async function countRows(query: Knex.QueryBuilder): Promise<number> {
  const rows = (await query.count({ n: '*' })) as Array<{ n: number | string }>;
  return Number(rows[0]?.n ?? 0);
}

/** Queues the due feeds like the cron task, then waits for every feed to be polled. */
async function pollCycle(
  knex: Knex,
  config: ReturnType<typeof loadConfig>,
  probe: CpuProbe,
): Promise<Cycle> {
  await knex('feeds').update({ next_poll_at: knex.fn.now() });
  const startedAt = new Date();
  const cpu0 = cpuNow(probe);
  const fromUs = monotonicUs();
  const t0 = performance.now();
  const { queued } = await scheduleFeedPolls({ knex, config });
  if (queued !== FEEDS) throw new Error(`scheduleFeedPolls queued ${queued} of ${FEEDS} feeds`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    const done = await countRows(knex('feeds').where('last_polled_at', '>=', startedAt));
    if (done >= FEEDS) break;
    if (Date.now() > deadline) throw new Error(`only ${done}/${FEEDS} feeds polled in 5 minutes`);
    await sleep(20);
  }
  const seconds = (performance.now() - t0) / 1000;
  const window = { fromUs, toUs: monotonicUs() };
  const cpu1 = cpuNow(probe);
  const rows: Array<{ last_status: string; n: number }> = await knex('feeds')
    .select('last_status')
    .count({ n: '*' })
    .groupBy('last_status');
  const statuses = Object.fromEntries(rows.map((r) => [r.last_status, Number(r.n)]));
  return {
    seconds,
    feedsPerSecond: FEEDS / seconds,
    statuses,
    workerCpuMsPerFeed: (cpu1.worker - cpu0.worker) / FEEDS,
    postgresCpuMsPerFeed: (cpu1.postgres - cpu0.postgres) / FEEDS,
    window,
  };
}

function cpuNow(probe: CpuProbe): { worker: number; postgres: number } {
  return {
    worker: cpuMsOf(probe.workerPid),
    postgres: probe.postgresPid ? treeCpuMs(probe.postgresPid) : Number.NaN,
  };
}

/** Fetch (and parse) every feed with the app's fetcher, CONCURRENCY at a time, no DB. */
async function directCycle(
  port: number,
  config: ReturnType<typeof loadConfig>,
  etags: Map<number, string>,
  parse: boolean,
): Promise<number> {
  const fetcher = createFetcher(config.fetch);
  let next = 0;
  const t0 = performance.now();
  const lane = async () => {
    while (next < FEEDS) {
      const n = next++;
      const result = await fetcher.fetch(feedUrl(port, n), { etag: etags.get(n) ?? null });
      if (result.headers.etag) etags.set(n, result.headers.etag);
      if (parse && !result.notModified) {
        const parsed = parseFeedDocument(result.body, result.headers['content-type']);
        processFeed(parsed, { maxItems: config.feeds.maxItems, feedUrl: result.finalUrl });
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  const seconds = (performance.now() - t0) / 1000;
  await fetcher.close();
  return FEEDS / seconds;
}

async function fixtureStats(port: number): Promise<Record<string, number>> {
  return (await fetch(`http://127.0.0.1:${port}/stats`)).json() as Promise<Record<string, number>>;
}

interface Pass {
  readonly first: Cycle;
  readonly second: Cycle;
  readonly items: number;
  readonly served200: number;
  readonly served304: number;
}

/**
 * Fresh feeds (no items, no validators), a worker process, two cycles. With
 * `profileDir` the worker runs under --cpu-prof (only for a missed target).
 */
async function runPass(
  knex: Knex,
  pg: BenchPostgres,
  port: number,
  env: Record<string, string>,
  config: ReturnType<typeof loadConfig>,
  profileDir?: string,
): Promise<Pass> {
  await knex('feed_items').delete();
  await knex('feeds').update({
    etag: null,
    modified: null,
    last_polled_at: null,
    last_status: null,
  });
  const worker = spawnApp('worker', {
    // info: the "worker started" line says it is ready; polls log at debug.
    env: {
      ...env,
      LOG_LEVEL: 'info',
      WORKER_METRICS_PORT: String(await freePort()),
    },
    nodeArgs: profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  try {
    await worker.waitFor(/"msg":"worker started"/);
    const probe = { workerPid: worker.pid, postgresPid: pg.pid() };
    const before = await fixtureStats(port);
    const first = await pollCycle(knex, config, probe);
    const items = await countRows(knex('feed_items'));
    const middle = await fixtureStats(port);
    const second = await pollCycle(knex, config, probe);
    const after = await fixtureStats(port);
    return {
      first,
      second,
      items,
      served200: middle['200']! - before['200']!,
      served304: after['304']! - middle['304']!,
    };
  } finally {
    await worker.stop();
  }
}

/** The packages that parse and sanitise feed documents. */
const PARSING = ['@rowanmanning/feed-parser', 'fast-xml-parser', 'htmlparser2', 'html-entities'];

/** Ceilings computed from the measured CPU per feed, for the report. */
function whatStandsInTheWay(
  first: Cycle,
  second: Cycle,
  high: { readonly first: Cycle; readonly second: Cycle },
  parseRate: number,
  parsingShare: number | undefined,
): string[] {
  const per304 = second.workerCpuMsPerFeed + second.postgresCpuMsPerFeed;
  const helped = (a: Cycle, b: Cycle) =>
    b.feedsPerSecond > a.feedsPerSecond * 1.15
      ? `WORKER_CONCURRENCY=${HIGH_CONCURRENCY} did help (${round(b.feedsPerSecond, 0)} feeds/s)`
      : `WORKER_CONCURRENCY=${HIGH_CONCURRENCY} did not help (${round(b.feedsPerSecond, 0)} feeds/s): the poll is bound by CPU, not by waiting`;
  return [
    `What stands in the way of the first-poll target: the worker process spends ${round(first.workerCpuMsPerFeed)} ms of CPU per feed${parsingShare === undefined ? '' : ` (${round(parsingShare, 0)} % of it in @rowanmanning/feed-parser, fast-xml-parser and htmlparser2, per the profile)`} and PostgreSQL ${round(first.postgresCpuMsPerFeed)} ms. One Node process uses at most one core: the worker's ceiling is ${round(1000 / first.workerCpuMsPerFeed, 0)} feeds/s; both cores fully used give at most ${round(2000 / (first.workerCpuMsPerFeed + first.postgresCpuMsPerFeed), 0)} feeds/s (worker and PostgreSQL together; the fixture server and other processes take their share too). 100 feeds/s on two cores needs under 20 ms of CPU per feed in all. Fetch + parse alone, without database or queue, ran at ${round(parseRate, 0)} feeds/s here (the baseline); ${helped(first, high.first)}.`,
    `What stands in the way of the 304 target: a not-modified poll costs ${round(second.workerCpuMsPerFeed)} ms of worker CPU and ${round(per304 - second.workerCpuMsPerFeed)} ms of PostgreSQL CPU. Its round trips: the feed row, one conditional UPDATE (same xmin) and graphile-worker's job fetch and completion, which the local queue (WORKER_LOCAL_QUEUE_SIZE) and completion batching (WORKER_COMPLETE_JOB_BATCH_DELAY_MS) share between jobs. With both cores fully used that is at most ${round(2000 / per304, 0)} feeds/s; 400 feeds/s needs under ${round(2000 / 400, 1)} ms of CPU per poll in all. ${helped(second, high.second)}.`,
  ];
}

function describeCycle(name: string, cycle: Cycle): string {
  return `${name}: ${round(cycle.seconds)} s, ${round(cycle.feedsPerSecond)} feeds/s, ${JSON.stringify(cycle.statuses)}; CPU per feed: worker ${round(cycle.workerCpuMsPerFeed)} ms, PostgreSQL ${round(cycle.postgresCpuMsPerFeed)} ms`;
}

async function main(): Promise<void> {
  const rec = new Recorder('feeds', 'Feed polling through graphile-worker', 'npm run bench:feeds');
  const pg = await startBenchPostgres();
  const port = await freePort();
  const fixture: Child = spawnNode(
    'dist/bench/feeds/fixture-server.js',
    [String(port), String(HOSTS), String(ITEMS)],
    { telemetry: false },
  );
  try {
    await fixture.waitFor(/feed fixture server listening/);
    const env = {
      FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
      WORKER_CONCURRENCY: String(CONCURRENCY),
      LOG_LEVEL: 'warn',
    };
    const config = loadConfig({ ...process.env, ...env });

    // Baseline first, so the fixture server has built and cached every body.
    const etags = new Map<number, string>();
    const direct200 = await directCycle(port, config, etags, true);
    const direct304 = await directCycle(port, config, etags, true);
    const fetchOnly = await directCycle(port, config, new Map(), false);
    log(
      `direct: ${round(direct200)} feeds/s fetch+parse, ${round(direct304)} feeds/s 304, ${round(fetchOnly)} feeds/s fetch only`,
    );

    const url = await pg.createDatabase('bench_feeds');
    const knex = createKnex(url);
    try {
      await insertFeeds(knex, port);
      const workerEnv = { ...env, DATABASE_URL: url };
      const pass = await runPass(knex, pg, port, workerEnv, config, QUICK_PROFILE);
      const { first, second, items } = pass;
      log(`${describeCycle('first cycle', first)}; ${items} items stored`);
      log(describeCycle('second cycle', second));
      if (first.statuses.success !== FEEDS || items !== FEEDS * ITEMS || pass.served200 !== FEEDS) {
        throw new Error(`first cycle incomplete: ${JSON.stringify(pass)}`);
      }
      if (second.statuses.not_modified !== FEEDS || pass.served304 !== FEEDS) {
        throw new Error(`second cycle did not take the 304 path: ${JSON.stringify(pass)}`);
      }
      rec.method.push(
        `${FEEDS} feeds × ${ITEMS} items (RSS 2.0, ~${round((ITEMS * 420) / 1024)} KiB each) served by bench/feeds/fixture-server.ts on ${HOSTS} loopback addresses (127.0.0.1–127.0.0.${HOSTS}), stable ETag/Last-Modified, 304 on If-None-Match.`,
        `Worker: the app's worker process (\`dist/src/main.js worker\`, telemetry on) with FETCH_ALLOW_PRIVATE_NETWORKS=true (the fixture is on loopback), WORKER_CONCURRENCY=${CONCURRENCY}, graphile-worker's local queue ${config.worker.localQueueSize} jobs a fetch and completions batched (WORKER_COMPLETE_JOB_BATCH_DELAY_MS=${config.worker.completeJobBatchDelayMs}), FEED_PER_HOST_CONCURRENCY default (${config.feeds.perHostConcurrency}); the feeds spread over ${HOSTS} hosts, so the per-host limit allows ${HOSTS * config.feeds.perHostConcurrency} fetches at once, more than the worker runs.`,
        'Cycle: feed rows inserted directly with next_poll_at = now(); the bench calls scheduleFeedPolls (what the schedule_feed_polls cron task runs: one transaction, one job-keyed poll_feed job per due feed) and the clock stops when every feed row has last_polled_at ≥ the cycle start (checked every 20 ms). Checked: 1 000 × 200 and 50 000 items stored in cycle 1; 1 000 × 304 (last_status not_modified) in cycle 2. CPU per feed from /proc (worker process; PostgreSQL postmaster and backends).',
        `Also measured with WORKER_CONCURRENCY=${HIGH_CONCURRENCY} (a fresh pass: items deleted, validators cleared), to show whether the rate is bound by the worker's concurrency (waiting on PostgreSQL) or by CPU; when a target is missed, that pass runs under --cpu-prof for the profile below.`,
        `Baseline: the app's fetcher + parser + processor on the same ${FEEDS} URLs, ${CONCURRENCY} at a time, in one process, without database or queue (fetch alone: ${round(fetchOnly)} feeds/s).`,
        POSTGRES_NOTE,
      );
      const firstFigure = rec.add({
        id: 'feeds.first',
        label: 'first poll (200, parse, store 50 items)',
        unit: 'feeds/s',
        value: first.feedsPerSecond,
        baseline: { label: 'fetch + parse, no DB, no queue', value: direct200 },
        target: { on: 'value', op: '>=', threshold: 100 },
        detail: `${round(first.seconds)} s for ${FEEDS} feeds; CPU/feed: worker ${round(first.workerCpuMsPerFeed)} ms, PostgreSQL ${round(first.postgresCpuMsPerFeed)} ms`,
      });
      const secondFigure = rec.add({
        id: 'feeds.not_modified',
        label: 'second poll (304 Not Modified)',
        unit: 'feeds/s',
        value: second.feedsPerSecond,
        baseline: { label: 'conditional fetch, no DB, no queue', value: direct304 },
        target: { on: 'value', op: '>=', threshold: 400 },
        detail: `${round(second.seconds)} s for ${FEEDS} feeds; CPU/feed: worker ${round(second.workerCpuMsPerFeed)} ms, PostgreSQL ${round(second.postgresCpuMsPerFeed)} ms`,
      });
      rec.raw = { first, second, direct200, direct304, fetchOnly };
      const missed = firstFigure.met === false || secondFigure.met === false;
      if (QUICK) {
        const file = QUICK_PROFILE ? newestProfile(QUICK_PROFILE) : undefined;
        for (const [name, cycle] of [
          ['first poll', first],
          ['304 poll', second],
        ] as const) {
          if (file)
            log(
              [
                `profile, ${name}:`,
                ...formatProfile(summarizeProfile(file, 40, cycle.window), 20),
              ].join('\n  '),
            );
        }
        return;
      }
      // A second pass at a higher concurrency; when a target was missed it
      // runs under --cpu-prof, which says where the worker's time goes.
      const profileDir = missed ? path.join(RESULTS_DIR, 'profiles', 'feeds-worker') : undefined;
      if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
      const high = await runPass(
        knex,
        pg,
        port,
        { ...workerEnv, WORKER_CONCURRENCY: String(HIGH_CONCURRENCY) },
        config,
        profileDir,
      );
      log(describeCycle(`first cycle, concurrency ${HIGH_CONCURRENCY}`, high.first));
      log(describeCycle(`second cycle, concurrency ${HIGH_CONCURRENCY}`, high.second));
      for (const [id, label, cycle, base] of [
        ['feeds.first.high', 'first poll', high.first, first],
        ['feeds.not_modified.high', 'second poll (304)', high.second, second],
      ] as const) {
        rec.add({
          id,
          label: `${label}, WORKER_CONCURRENCY=${HIGH_CONCURRENCY}${profileDir ? ', under --cpu-prof' : ''}`,
          unit: 'feeds/s',
          value: cycle.feedsPerSecond,
          baseline: { label: `WORKER_CONCURRENCY=${CONCURRENCY}`, value: base.feedsPerSecond },
          detail: `CPU/feed: worker ${round(cycle.workerCpuMsPerFeed)} ms, PostgreSQL ${round(cycle.postgresCpuMsPerFeed)} ms`,
        });
      }
      rec.raw = { ...rec.raw, high };
      const file = profileDir ? newestProfile(profileDir) : undefined;
      if (missed) {
        const shares: Record<string, number> = {};
        if (file) {
          for (const [name, cycle] of [
            ['first poll', high.first],
            ['304 poll', high.second],
          ] as const) {
            const summary = summarizeProfile(file, 40, cycle.window);
            shares[name] = summary.attributed
              .filter((p) => PARSING.includes(p.name))
              .reduce((sum, p) => sum + p.percent, 0);
            rec.notes.push(
              `Worker CPU profile, ${name} cycle at WORKER_CONCURRENCY=${HIGH_CONCURRENCY} (${path.relative(process.cwd(), file)}):`,
              ...formatProfile(summary),
            );
          }
        }
        const [firstNote, secondNote] = whatStandsInTheWay(
          first,
          second,
          high,
          direct200,
          shares['first poll'],
        );
        // Only for the target that was missed.
        if (firstFigure.met === false) rec.notes.push(firstNote!);
        if (secondFigure.met === false) rec.notes.push(secondNote!);
      }
    } finally {
      await knex.destroy();
    }
  } finally {
    await fixture.stop();
    await pg.stop();
  }
  rec.write();
}

runBench(main);
