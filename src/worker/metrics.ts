import { createCachedGauge } from '../../otel/cached-gauge';
import { createCounter, createSecondsHistogram } from '../../otel/instruments';
import type { Database } from '../db/connection';

export type JobOutcome = 'success' | 'retry' | 'failed';

const jobs = createCounter({
  name: 'worker_jobs',
  description: 'Jobs finished by this worker, by task and outcome (retry: failed, will run again).',
  labels: ['task', 'outcome'],
});

const duration = createSecondsHistogram({
  name: 'worker_job_duration',
  description: 'Time a job ran on this worker, by task, whatever its outcome.',
  labels: ['task'],
});

export function recordJob(task: string, outcome: JobOutcome, seconds: number): void {
  jobs.add(1, { task, outcome });
  duration.record(seconds, { task });
}

/**
 * Jobs ready to run and not yet taken, by task. One reporter cluster-wide.
 * Every known task has a series (0 when idle), so alerts and dashboards see
 * an empty queue as 0 rather than as no data.
 */
export function jobsWaitingGauge(db: Database, knownTasks: readonly string[]) {
  return createCachedGauge(
    {
      name: 'worker_jobs_waiting',
      description:
        'Jobs due and not locked, by task, read from the database every 15 s by one process.',
      labels: ['task'],
    },
    async () => {
      const { rows } = await db.knex.raw<{ rows: Array<{ task: string; count: number }> }>(
        `select task_identifier as task, count(*)::int as count
           from graphile_worker.jobs
          where locked_at is null and run_at <= now() and attempts < max_attempts
          group by task_identifier`,
      );
      const counts = new Map<string, number>(knownTasks.map((task) => [task, 0]));
      for (const row of rows) counts.set(row.task, row.count);
      return [...counts].map(([task, value]) => ({ value, attributes: { task } }));
    },
  );
}
