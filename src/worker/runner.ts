import { EventEmitter } from 'node:events';
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
  readonly runner: Runner;
}

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
  const runner = await run({
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
  }).catch(async (error: unknown) => {
    await heartbeat.stop();
    throw error;
  });

  const started = new Map<string, bigint>();
  const finish = (jobId: string, task: string, outcome: JobOutcome) => {
    const start = started.get(jobId);
    started.delete(jobId);
    const seconds = start === undefined ? 0 : Number(process.hrtime.bigint() - start) / 1e9;
    recordJob(task, outcome, seconds);
  };
  runner.events.on('job:start', ({ job }) => {
    started.set(job.id, process.hrtime.bigint());
  });
  runner.events.on('job:success', ({ job }) => finish(job.id, job.task_identifier, 'success'));
  runner.events.on('job:error', ({ job, error }) => {
    const final = job.attempts >= job.max_attempts;
    log.warn(
      { task: job.task_identifier, jobId: job.id, attempt: job.attempts, err: error },
      'job failed',
    );
    if (!final) finish(job.id, job.task_identifier, 'retry');
  });
  runner.events.on('job:failed', ({ job }) => finish(job.id, job.task_identifier, 'failed'));

  log.info(
    { concurrency: config.worker.concurrency, tasks: Object.keys(taskList) },
    'worker started',
  );
  return {
    runner,
    async stop() {
      await runner.stop();
      await heartbeat.stop();
      log.info('worker stopped');
    },
  };
}
