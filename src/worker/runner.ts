import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  type CronItem,
  Logger as GraphileLogger,
  parseCronItems,
  type Runner,
  run,
  type Task,
  type TaskList,
  type WorkerEvents,
} from 'graphile-worker';
import type { Config } from '../config';
import type { Database } from '../db/connection';
import { takeTraceContext } from '../jobs';
import type { Logger } from '../logging/logger';
import { startHeartbeat } from './heartbeat';
import { type JobOutcome, recordJob } from './metrics';

export interface Worker {
  /** Stops taking jobs, waits for the running ones, then resolves. */
  stop(): Promise<void>;
  /** The graphile-worker runner now running (a new one after a restart). */
  readonly runner: Runner;
}

/** Waits between attempts to start a runner again: 1 s, doubling, at most this. */
const RESTART_MAX_DELAY_MS = 30_000;

const tracer = trace.getTracer('pebbling-club-worker');

/**
 * Each task body runs inside its own span: a new trace (a job runs later,
 * maybe several times), linked to the request that queued it when the
 * payload carries one (src/jobs/trace-context.ts). The span also makes the
 * job's queries count in the database metric: instrumentation-pg records
 * only queries that have a parent span, which keeps graphile-worker's own
 * polling out.
 */
function inSpan(name: string, task: Task): Task {
  return (stored, helpers) => {
    const { payload, links } = takeTraceContext(stored);
    const options = {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.system': 'graphile_worker',
        'messaging.operation.type': 'process',
        'messaging.destination.name': name,
        'messaging.message.id': helpers.job.id,
      },
    };
    return tracer.startActiveSpan(`process ${name}`, options, ROOT_CONTEXT, async (span) => {
      try {
        return await task(payload as typeof stored, helpers);
      } catch (error) {
        span.recordException(error instanceof Error ? error : String(error));
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        span.end();
      }
    });
  };
}

/**
 * graphile-worker's batching: a local queue fetches several jobs per query,
 * and completions/failures within the delay go to the database together.
 * Fewer round trips per job, at the price of jobs locked a little longer
 * (see docs/configuration.md). A size below 2 leaves the local queue off.
 */
function batchingOptions(worker: Config['worker']): NonNullable<GraphileConfig.Preset['worker']> {
  return {
    ...(worker.localQueueSize >= 2 ? { localQueue: { size: worker.localQueueSize } } : {}),
    completeJobBatchDelay: worker.completeJobBatchDelayMs,
    failJobBatchDelay: worker.failJobBatchDelayMs,
  };
}

export async function startWorker(options: {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
  readonly taskList: TaskList;
  readonly cron: CronItem[];
}): Promise<Worker> {
  const { config, db } = options;
  const log = options.logger.child({ component: 'worker' });
  const taskList: TaskList = {};
  for (const [name, task] of Object.entries(options.taskList)) {
    taskList[name] = inSpan(name, task as Task);
  }
  const pgPool = db.createPool(config.worker.concurrency + 2);
  // Listening before run(): it announces its worker ids while starting.
  const events = new EventEmitter() as WorkerEvents;
  const heartbeat = startHeartbeat({
    knex: db.knex,
    events,
    logger: log,
    intervalMs: config.worker.heartbeatIntervalMs,
    staleAfterMs: config.worker.staleAfterMs,
  });
  const runnerOptions = {
    pgPool,
    events,
    taskList,
    parsedCronItems: parseCronItems(options.cron),
    concurrency: config.worker.concurrency,
    noHandleSignals: true,
    pollInterval: 1000,
    preset: { worker: batchingOptions(config.worker) },
    logger: new GraphileLogger((scope) => (level, message, meta) => {
      const fields = { ...scope, ...meta };
      if (level === 'error') log.error(fields, message);
      else if (level === 'warning') log.warn(fields, message);
      else log.debug(fields, message);
    }),
  };
  let runner = await run(runnerOptions).catch(async (error: unknown) => {
    await heartbeat.stop();
    throw error;
  });

  // `events` is the runner's own emitter (run() takes it), and outlives a restart.
  const started = new Map<string, bigint>();
  const finish = (jobId: string, task: string, outcome: JobOutcome) => {
    const start = started.get(jobId);
    started.delete(jobId);
    const seconds = start === undefined ? 0 : Number(process.hrtime.bigint() - start) / 1e9;
    recordJob(task, outcome, seconds);
  };
  events.on('job:start', ({ job }) => {
    started.set(job.id, process.hrtime.bigint());
  });
  events.on('job:success', ({ job }) => finish(job.id, job.task_identifier, 'success'));
  events.on('job:error', ({ job, error }) => {
    const final = job.attempts >= job.max_attempts;
    log.warn(
      { task: job.task_identifier, jobId: job.id, attempt: job.attempts, err: error },
      'job failed',
    );
    if (!final) finish(job.id, job.task_identifier, 'retry');
  });
  events.on('job:failed', ({ job }) => finish(job.id, job.task_identifier, 'failed'));

  /**
   * A runner can stop on its own: during a database outage graphile-worker's
   * pool may exit with an error ("failed to shut down cleanly"), and the
   * process would stay up taking no jobs. Unless we are stopping, a new
   * runner is started, and tried again (1 s, doubling to 30 s) while the
   * database cannot be reached. Its jobs were released or are unlocked by
   * the heartbeat (dead workers' ids), so none is lost.
   */
  let stopping = false;
  const halt = new AbortController();
  let restarting: Promise<void> | undefined;
  const watch = (current: Runner) => {
    current.promise.then(
      () => restartAfter(current, undefined),
      (error: unknown) => restartAfter(current, error),
    );
  };
  const restartAfter = (current: Runner, error: unknown) => {
    if (stopping || current !== runner) return;
    log.error({ err: error }, 'the worker runner stopped on its own: starting a new one');
    restarting = (async () => {
      for (let delay = 1000; !stopping; delay = Math.min(delay * 2, RESTART_MAX_DELAY_MS)) {
        await sleep(delay, undefined, { signal: halt.signal }).catch(() => {});
        if (stopping) return;
        try {
          runner = await run(runnerOptions);
          watch(runner);
          log.info('worker runner started again');
          return;
        } catch (failure) {
          log.warn(
            { err: failure, retryInMs: Math.min(delay * 2, RESTART_MAX_DELAY_MS) },
            'the worker runner could not start',
          );
        }
      }
    })();
  };
  watch(runner);

  log.info(
    { concurrency: config.worker.concurrency, tasks: Object.keys(taskList) },
    'worker started',
  );
  return {
    get runner() {
      return runner;
    },
    async stop() {
      stopping = true;
      halt.abort();
      await restarting;
      await runner.stop().catch(() => {}); // it may have stopped on its own already
      await heartbeat.stop();
      log.info('worker stopped');
    },
  };
}
