/**
 * graphile-worker's runner can stop on its own: in CI, during a database
 * outage, its pool exited with "failed to shut down cleanly" and the worker
 * process stayed up taking no jobs, so queued polls never ran. The worker
 * starts a new runner when that happens (src/worker/runner.ts). Here the
 * runner is stopped behind the worker's back, which is the same to it.
 */
import test from 'ava';
import { addJob } from '../../src/jobs';
import { startTestApp, type TestApp } from '../helpers/app';
import { waitUntil } from './support';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'worker');
});
test.after.always(async () => {
  await app?.stop();
});

const queued = async () =>
  Number((await app.db.knex('graphile_worker.jobs').count<{ n: string }[]>('* as n'))[0]!.n);

test('a runner that stopped on its own is replaced, and queued jobs run', async (t) => {
  const worker = app.running.worker!;
  const first = worker.runner;
  await first.stop();
  t.true(await waitUntil(() => worker.runner !== first, 10_000), 'a new runner started');
  // A poll of a feed that does not exist: done at once, nothing to fetch.
  await addJob(app.db.knex, 'poll_feed', { feedId: 987_654 });
  t.true(await waitUntil(async () => (await queued()) === 0, 15_000), 'the job ran');
});
