/**
 * Worker heartbeats: jobs locked by a worker pool whose heartbeat is stale
 * (or missing) are unlocked for others; a live pool's jobs, and jobs locked
 * too recently to judge, are left alone.
 */
import test from 'ava';
import { addJob } from '../../src/jobs';
import { unlockDeadWorkers } from '../../src/worker/heartbeat';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

async function lockedJob(pool: string, lockedSecondsAgo: number): Promise<string> {
  const { id } = await addJob(db.knex, 'import_bookmarks', { importJobId: 1 });
  await db.knex.raw(
    `UPDATE graphile_worker._private_jobs
        SET locked_by = ?, locked_at = now() - make_interval(secs => ?), attempts = 1
      WHERE id = ?`,
    [pool, lockedSecondsAgo, id],
  );
  return id;
}

async function lockOf(id: string): Promise<string | null> {
  const row = await db.knex('graphile_worker._private_jobs').where({ id }).first('locked_by');
  return row.locked_by;
}

test('unlocks only the jobs of pools that stopped beating', async (t) => {
  await db.knex('worker_heartbeats').insert([
    { worker_id: 'pool-alive', process: 'host:1' },
    {
      worker_id: 'pool-dead',
      process: 'host:2',
      last_seen_at: db.knex.raw(`now() - interval '5 minutes'`),
    },
  ]);
  const alive = await lockedJob('pool-alive', 600);
  const dead = await lockedJob('pool-dead', 600);
  const unknown = await lockedJob('pool-without-heartbeat', 600);
  const fresh = await lockedJob('pool-just-started', 1);

  const unlocked = await unlockDeadWorkers(db.knex, 30_000);

  t.deepEqual(unlocked.sort(), ['pool-dead', 'pool-without-heartbeat']);
  t.is(await lockOf(alive), 'pool-alive');
  t.is(await lockOf(dead), null);
  t.is(await lockOf(unknown), null);
  t.is(await lockOf(fresh), 'pool-just-started', 'locked 1 s ago: its first beat may still come');
  t.deepEqual(await unlockDeadWorkers(db.knex, 30_000), [], 'nothing left to unlock');
});
