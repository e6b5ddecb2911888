/**
 * Bench-only worker: `node [--require ./dist/otel/register.js]
 * dist/bench/jobs/worker.js app|raw`. Runs one trivial task, bench_noop,
 * whose payload carries the time the job was added; each start prints
 * `start <ms>` (start − add, on the shared wall clock with sub-ms precision).
 *   app: our runner (src/worker/runner.ts startWorker: spans, job metrics).
 *   raw: graphile-worker's run() with the same options, nothing of ours.
 */
import { Logger as GraphileLogger, run, type Task } from 'graphile-worker';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/connection';
import { createLogger } from '../../src/logging/logger';
import { startWorker } from '../../src/worker/runner';

import { NOOP_TASK, nowMs } from './clock';

/** graphile-worker's default logger prints every job; ours logs them at debug. Keep both quiet. */
const quiet = new GraphileLogger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`${message}\n`);
});

const noop: Task = async (payload) => {
  const added = (payload as { addedAt?: number }).addedAt;
  if (typeof added === 'number') process.stdout.write(`start ${(nowMs() - added).toFixed(3)}\n`);
};

async function main(): Promise<void> {
  const mode = process.argv[2];
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  let stop: () => Promise<void>;
  if (mode === 'app') {
    const db = await openDatabase(config, logger);
    const worker = await startWorker({
      config,
      logger,
      db,
      taskList: { [NOOP_TASK]: noop },
      cron: [],
    });
    stop = async () => {
      await worker.stop();
      await db.close();
    };
  } else if (mode === 'raw') {
    const runner = await run({
      connectionString: config.databaseUrl,
      taskList: { [NOOP_TASK]: noop },
      concurrency: config.worker.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: quiet,
    });
    stop = () => runner.stop();
  } else {
    throw new Error('usage: worker.js app|raw');
  }
  process.stdout.write('bench worker ready\n');
  const shutdown = () => void stop().then(() => process.exit(0));
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
