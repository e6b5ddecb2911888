/**
 * Worker heartbeats. graphile-worker leaves the jobs of a worker that died
 * (SIGKILL, OOM, power loss) locked for 4 hours. Each worker process here
 * writes a heartbeat row per worker pool (the id graphile-worker locks jobs
 * with) every few seconds; at start
 * and on every beat it also looks for jobs locked by ids whose heartbeat is
 * stale (or missing) and unlocks them with graphile_worker.force_unlock_workers,
 * so a live worker picks them up within seconds. Jobs locked more recently
 * than the stale limit are never touched: a worker that just started may not
 * have written its first beat yet.
 */
import os from 'node:os';
import type { WorkerEvents } from 'graphile-worker';
import type { Knex } from 'knex';
import type { Logger } from '../logging/logger';

export interface Heartbeat {
  /** Writes a beat and unlocks the jobs of dead workers now. */
  beat(): Promise<void>;
  stop(): Promise<void>;
}

export function startHeartbeat(options: {
  readonly knex: Knex;
  readonly events: WorkerEvents;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly staleAfterMs: number;
}): Heartbeat {
  const { knex, events, intervalMs, staleAfterMs } = options;
  const log = options.logger.child({ component: 'heartbeat' });
  /** Pools running now (beating), and every pool this process ran (to clean up). */
  const ids = new Set<string>();
  const owned = new Set<string>();
  const processName = `${os.hostname()}:${process.pid}`;
  // Jobs are locked in the name of the worker pool (graphile_worker jobs.locked_by = pool id).
  events.on('pool:create', ({ workerPool }) => {
    ids.add(workerPool.id);
    owned.add(workerPool.id);
  });
  events.on('pool:release', ({ workerPool }) => {
    ids.delete(workerPool.id);
  });

  let running: Promise<void> | undefined;
  const beat = async () => {
    if (ids.size > 0) {
      await knex.raw(
        `INSERT INTO worker_heartbeats (worker_id, process)
         SELECT unnest(?::text[]), ?
         ON CONFLICT (worker_id) DO UPDATE SET last_seen_at = now()`,
        [[...ids], processName],
      );
    }
    // Our own pools are alive whatever their row says: under heavy load the
    // check below can run more than staleAfterMs after the insert above.
    const dead = await unlockDeadWorkers(knex, staleAfterMs, [...ids]);
    if (dead.length > 0) log.warn({ workerIds: dead }, 'unlocked the jobs of dead workers');
  };
  const tick = () => {
    if (running) return; // the previous beat is still waiting on the database
    running = beat()
      .catch((err: unknown) => log.warn({ err }, 'heartbeat failed'))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();

  return {
    async beat() {
      await running;
      await beat();
    },
    async stop() {
      clearInterval(timer);
      await running;
      const mine = [...owned];
      ids.clear();
      owned.clear();
      if (mine.length > 0) {
        await knex('worker_heartbeats')
          .whereIn('worker_id', mine)
          .delete()
          .catch(() => {});
      }
    },
  };
}

/**
 * Unlocks jobs (and job queues) held by workers without a fresh heartbeat,
 * locked longer ago than the stale limit. Answers the worker ids unlocked.
 * Old heartbeat rows are swept in the same go.
 */
export async function unlockDeadWorkers(
  knex: Knex,
  staleAfterMs: number,
  alive: readonly string[] = [],
): Promise<string[]> {
  const stale = `now() - make_interval(secs => ${Number(staleAfterMs) / 1000})`;
  const { rows } = await knex.raw<{ rows: Array<{ locked_by: string }> }>(
    `SELECT DISTINCT locked_by FROM (
       SELECT locked_by, locked_at FROM graphile_worker._private_jobs WHERE locked_by IS NOT NULL
       UNION ALL
       SELECT locked_by, locked_at FROM graphile_worker._private_job_queues WHERE locked_by IS NOT NULL
     ) AS locks
     WHERE locked_at < ${stale}
       AND locked_by <> ALL(?::text[])
       AND NOT EXISTS (
         SELECT 1 FROM worker_heartbeats h
          WHERE h.worker_id = locks.locked_by AND h.last_seen_at >= ${stale})`,
    [[...alive]],
  );
  const dead = rows.map((row) => row.locked_by);
  if (dead.length > 0) {
    await knex.raw('SELECT graphile_worker.force_unlock_workers(?::text[])', [dead]);
  }
  await knex('worker_heartbeats')
    .where('last_seen_at', '<', knex.raw(`now() - interval '1 day'`))
    .delete();
  return dead;
}
