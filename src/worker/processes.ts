/**
 * More worker processes on the same database: graphile-worker's way to use
 * more than one core (each process is a runner; jobs are shared through
 * PostgreSQL's row locks, cron fires once). One Node process runs its jobs
 * on one core, and a feed poll is mostly CPU, so WORKER_PROCESSES=2 on two
 * cores is what gets the most polls per second (docs/feeds.md, bench:feeds).
 *
 * The process that reads WORKER_PROCESSES=N runs jobs itself and starts N-1
 * children: `main.js worker` with WORKER_PROCESSES=1, the same database URL
 * (so an embedded PostgreSQL is shared, not started again) and its own
 * metrics port (WORKER_METRICS_PORT + 1, + 2, …; 0 stays 0). A child that
 * dies (any exit but a clean one after SIGTERM/SIGINT) is started again,
 * after 1 s, or longer while it keeps dying at once; a child whose parent
 * dies stops (the IPC channel closes, main.ts shuts down on 'disconnect').
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import type { Logger } from '../logging/logger';

export interface WorkerProcesses {
  readonly pids: () => number[];
  /** SIGTERM to every child (each finishes its running jobs), then waits for them. */
  stop(): Promise<void>;
}

export interface WorkerProcessOptions {
  /** Children to start (WORKER_PROCESSES - 1). */
  readonly count: number;
  readonly databaseUrl: string;
  /** The parent's WORKER_METRICS_PORT; child i listens on port + i (0: any free port). */
  readonly metricsPort: number;
  readonly logger: Logger;
  /** How long stop() waits before SIGKILL. */
  readonly stopTimeoutMs?: number;
}

const MAIN = path.join(__dirname, '..', 'main.js');
/**
 * The argument that tells a child it was started by a parent worker: it
 * then never becomes the reporter of the database metrics (only the
 * parent's metrics port is sure to be scraped). An argument, not an
 * environment variable, so nothing the parent inherits can set it.
 */
export const WORKER_CHILD_ARG = '--worker-child';
const RESTART_DELAY_MS = 1000;
const MAX_RESTART_DELAY_MS = 60_000;
/** A child that lived this long was working: its next restart waits 1 s again. */
const HEALTHY_AFTER_MS = 10_000;

/** The parent's Node flags, without the debugger's: two processes cannot share its port. */
const childExecArgv = () => process.execArgv.filter((flag) => !/^--(inspect|debug)/.test(flag));

export function startWorkerProcesses(options: WorkerProcessOptions): WorkerProcesses {
  const log = options.logger.child({ component: 'worker-processes' });
  const children = new Map<number, ChildProcess>();
  let stopping = false;

  const delays = new Map<number, number>();
  const start = (index: number) => {
    const startedAt = Date.now();
    const child = fork(MAIN, ['worker', WORKER_CHILD_ARG], {
      // The parent's flags: the telemetry preload (--require …/register.js) above all.
      execArgv: childExecArgv(),
      env: {
        ...process.env,
        DATABASE_URL: options.databaseUrl,
        WORKER_PROCESSES: '1',
        WORKER_METRICS_PORT: String(options.metricsPort === 0 ? 0 : options.metricsPort + index),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.set(index, child);
    log.info({ index, pid: child.pid }, 'worker process started');
    child.on('exit', (code, signal) => {
      if (children.get(index) === child) children.delete(index);
      // Exit 0 is a stop asked for (SIGTERM, or Ctrl-C reaching the whole group).
      if (stopping || code === 0) return;
      const healthy = Date.now() - startedAt > HEALTHY_AFTER_MS;
      const delay = healthy
        ? RESTART_DELAY_MS
        : Math.min((delays.get(index) ?? RESTART_DELAY_MS / 2) * 2, MAX_RESTART_DELAY_MS);
      delays.set(index, delay);
      log.error({ index, pid: child.pid, code, signal, delay }, 'worker process died; restarting');
      setTimeout(() => {
        if (!stopping) start(index);
      }, delay).unref();
    });
  };
  for (let index = 1; index <= options.count; index++) start(index);

  return {
    pids: () => [...children.values()].flatMap((c) => (c.pid === undefined ? [] : [c.pid])),
    async stop() {
      stopping = true;
      const exits = [...children.values()].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            const timer = setTimeout(() => child.kill('SIGKILL'), options.stopTimeoutMs ?? 30_000);
            child.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            child.kill('SIGTERM');
          }),
      );
      await Promise.all(exits);
      log.info('worker processes stopped');
    },
  };
}
