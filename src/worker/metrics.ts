/**
 * What this worker process did with its jobs: runs by outcome and their
 * durations, for Prometheus and (per minute) for /status. The queue itself
 * (jobs waiting) is read from the database by the one reporting process
 * (src/metrics/catalog.ts).
 */
import { createCounter, createSecondsHistogram } from '../../otel/instruments';
import { KNOWN_TASKS } from '../metrics/catalog';
import { countInHistory, recordDurationInHistory } from '../metrics/history';

export const JOB_OUTCOMES = ['success', 'retry', 'failed'] as const;
export type JobOutcome = (typeof JOB_OUTCOMES)[number];

const jobs = createCounter({
  name: 'worker_jobs',
  description: 'Jobs finished by this worker, by task and outcome (retry: failed, will run again).',
  labels: ['task', 'outcome'],
  known: KNOWN_TASKS.flatMap((task) => JOB_OUTCOMES.map((outcome) => ({ task, outcome }))),
});

const duration = createSecondsHistogram({
  name: 'worker_job_duration',
  description: 'Time a job ran on this worker, by task, whatever its outcome.',
  labels: ['task'],
});

export function recordJob(task: string, outcome: JobOutcome, seconds: number): void {
  jobs.add(1, { task, outcome });
  duration.record(seconds, { task });
  countInHistory('worker_jobs', { outcome });
  recordDurationInHistory('worker_job_duration', seconds);
}
