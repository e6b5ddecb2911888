/**
 * On-demand polls: queue poll_feed jobs for the worker (so the work and its
 * metrics happen there) and, when asked, wait for them to finish.
 */
import type { Knex } from 'knex';
import { addJob } from '../jobs';
import { pollJobKey } from './scheduler';

/** Queues one poll per feed (job-keyed: a feed already queued is not queued twice). */
export async function queueFeedPolls(
  db: Knex | Knex.Transaction,
  feedIds: readonly number[],
): Promise<string[]> {
  const ids: string[] = [];
  for (const feedId of feedIds) {
    const job = await addJob(db, 'poll_feed', { feedId }, { jobKey: pollJobKey(feedId) });
    ids.push(job.id);
  }
  return ids;
}

/**
 * Waits until the jobs have run: their rows are deleted on success, and keep
 * a last_error when they failed. Resolves false on timeout.
 */
export async function waitForJobs(
  knex: Knex,
  jobIds: readonly string[],
  timeoutMs: number,
  intervalMs = 200,
): Promise<boolean> {
  if (jobIds.length === 0) return true;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await knex.raw<{ rows: Array<{ pending: number }> }>(
      `select count(*)::int as pending from graphile_worker.jobs
        where id = any(?::bigint[]) and last_error is null`,
      [[...jobIds]],
    );
    if ((rows[0]?.pending ?? 0) === 0) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, deadline - Date.now())),
    );
  }
}
