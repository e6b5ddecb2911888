import type { Knex } from 'knex';
import type { TaskName, TaskPayloads } from '../../tasks/payloads';
import { currentTraceContext, TRACE_CONTEXT_KEY } from './trace-context';

export interface AddJobOptions {
  /** At most one pending job per key: a second add replaces the first. */
  readonly jobKey?: string;
  /** 'preserve_run_at' keeps an already-queued job's time (the cron's case). */
  readonly jobKeyMode?: 'replace' | 'preserve_run_at' | 'unsafe_dedupe';
  readonly runAt?: Date;
  readonly maxAttempts?: number;
  readonly queueName?: string;
  readonly priority?: number;
}

/**
 * Queues a graphile-worker job on the given connection. Called with a
 * transaction, the job exists only if that transaction commits: a rolled-back
 * write never fires a job. Queued inside a traced request, the payload also
 * carries the request's trace context, which the job's span links to.
 */
export async function addJob<T extends TaskName>(
  db: Knex | Knex.Transaction,
  task: T,
  payload: TaskPayloads[T],
  options: AddJobOptions = {},
): Promise<{ id: string }> {
  const traceContext = currentTraceContext();
  const stored = traceContext ? { ...payload, [TRACE_CONTEXT_KEY]: traceContext } : payload;
  const result = await db.raw<{ rows: Array<{ id: string }> }>(
    `select (graphile_worker.add_job(
        identifier => ?, payload => ?::json, queue_name => ?, run_at => ?,
        max_attempts => ?, job_key => ?, priority => ?, job_key_mode => ?
      )).id::text as id`,
    [
      task,
      JSON.stringify(stored),
      options.queueName ?? null,
      options.runAt ?? null,
      options.maxAttempts ?? null,
      options.jobKey ?? null,
      options.priority ?? null,
      options.jobKeyMode ?? null,
    ],
  );
  return { id: result.rows[0]!.id };
}
