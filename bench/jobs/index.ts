/**
 * Job latency: add → start through graphile-worker, p50 and p99. Jobs are
 * added one at a time from this process with src/jobs addJob (its own
 * INSERT, committed), a fixed interval apart; a worker in a second process
 * runs a trivial task and reports start − add. Rounds alternate our runner
 * (app) and graphile-worker's bare run() (raw baseline), same database.
 */
import { createKnex } from '../../src/db/connection';
import { addJob } from '../../src/jobs';
import type { TaskName, TaskPayloads } from '../../tasks/payloads';
import { POSTGRES_NOTE, startBenchPostgres } from '../lib/postgres';
import { type Child, spawnNode } from '../lib/process';
import { log, Recorder, runBench } from '../lib/results';
import { round, sleep, summarize } from '../lib/stats';
import { NOOP_TASK, nowMs } from './clock';

const JOBS = Number(process.env.BENCH_JOBS ?? 400);
const WARM_JOBS = 50;
const INTERVAL_MS = 10;
const ROUNDS = ['app', 'raw', 'app', 'raw'] as const;

function startLines(worker: Child): number[] {
  return [...worker.output().matchAll(/^start (\S+)$/gm)].map((m) => Number(m[1]));
}

async function waitForStarts(worker: Child, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (startLines(worker).length < count) {
    if (Date.now() > deadline)
      throw new Error(`only ${startLines(worker).length}/${count} jobs started`);
    await sleep(20);
  }
}

async function main(): Promise<void> {
  const rec = new Recorder('jobs', 'Job latency (add → start)', 'npm run bench:jobs');
  const pg = await startBenchPostgres();
  const url = await pg.createDatabase('bench_jobs');
  const knex = createKnex(url);
  // bench_noop is not one of the app's tasks; addJob is typed to those. The
  // cast keeps the app's queuing path (one committed add_job call) unchanged.
  const add = (payload: { addedAt: number }) =>
    addJob(knex, NOOP_TASK as TaskName, payload as unknown as TaskPayloads[TaskName]);
  const samples: Record<'app' | 'raw', number[]> = { app: [], raw: [] };
  try {
    for (const mode of ROUNDS) {
      const worker = spawnNode('dist/bench/jobs/worker.js', [mode], {
        telemetry: mode === 'app',
        env: { DATABASE_URL: url, LOG_LEVEL: 'warn' },
      });
      try {
        await worker.waitFor(/bench worker ready/);
        for (let i = 0; i < WARM_JOBS + JOBS; i++) {
          await add({ addedAt: nowMs() });
          await sleep(INTERVAL_MS);
        }
        await waitForStarts(worker, WARM_JOBS + JOBS);
        const measured = startLines(worker).slice(WARM_JOBS);
        samples[mode].push(...measured);
        const s = summarize(measured);
        log(`${mode}: p50 ${round(s.p50, 2)} ms, p99 ${round(s.p99, 2)} ms over ${s.count} jobs`);
      } finally {
        await worker.stop();
      }
    }
  } finally {
    await knex.destroy();
    await pg.stop();
  }
  const app = summarize(samples.app);
  const raw = summarize(samples.raw);
  rec.method.push(
    `${JOBS} jobs per round after ${WARM_JOBS} warm-up jobs, added one at a time ${INTERVAL_MS} ms apart with src/jobs addJob (one committed graphile_worker.add_job call each) from the bench process; worker in a second process, WORKER_CONCURRENCY default (4), pollInterval 1 s (new jobs arrive by LISTEN/NOTIFY).`,
    'Latency = task start − time before the add call, both from performance.timeOrigin + performance.now() (one wall clock, sub-millisecond).',
    `Rounds alternate ${ROUNDS.join(', ')}; app = our runner (startWorker: task spans, job metrics, telemetry preloaded); baseline raw = graphile-worker run() with the same options, no telemetry.`,
    POSTGRES_NOTE,
  );
  rec.add({
    id: 'jobs.p50',
    label: 'add → start p50',
    unit: 'ms',
    value: app.p50,
    baseline: { label: 'bare graphile-worker run()', value: raw.p50 },
    target: { on: 'value', op: '<', threshold: 10 },
    detail: `${app.count} jobs`,
  });
  rec.add({
    id: 'jobs.p99',
    label: 'add → start p99',
    unit: 'ms',
    value: app.p99,
    baseline: { label: 'bare graphile-worker run()', value: raw.p99 },
    detail: `max ${round(app.max)} ms (baseline max ${round(raw.max)} ms)`,
  });
  rec.raw = { app, raw };
  rec.write();
}

runBench(main);
