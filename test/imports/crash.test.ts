/**
 * Crash safety with real processes: a worker is SIGKILLed in the middle of an
 * import; a new worker finishes it within seconds (the dead worker's lock is
 * released through the heartbeats, not after graphile-worker's 4 hours), and
 * every bookmark exists exactly once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken, aUser } from '../helpers/factories';
import { type SpawnedApp, spawnApp } from '../helpers/process';
import { getJob, uploadRaw, waitForJob } from './support';

let app: TestApp;
let dataDir: string;
const workers: SpawnedApp[] = [];

test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-crash-'));
  // Web only: the separate worker processes below do the importing.
  app = await startTestApp({ DATA_DIR: dataDir }, 'web');
});
test.after.always(async () => {
  for (const worker of workers) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill('SIGKILL');
      await worker.exited;
    }
  }
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function startWorker(): SpawnedApp {
  const worker = spawnApp(['worker'], {
    DATABASE_URL: app.db.url,
    DATA_DIR: dataDir,
    WORKER_METRICS_PORT: '0',
    IMPORT_BATCH_SIZE: '250',
    WORKER_HEARTBEAT_INTERVAL_MS: '250',
    WORKER_STALE_AFTER_MS: '1500',
  });
  workers.push(worker);
  return worker;
}

test('a worker killed mid-import: a restarted worker resumes and finishes it promptly, exactly once', async (t) => {
  const count = 12_000;
  let items = '';
  for (let i = 0; i < count; i++) {
    items += `<DT><A HREF="https://crash.example/${i}" ADD_DATE="${1_600_000_000 + i}" TAGS="t${i % 9},all">Item ${i}</A>\n`;
  }
  const user = await aUser();
  const token = await aToken(user.id);

  const first = startWorker();
  await first.waitFor(/"msg":"worker started"/);
  const upload = await uploadRaw(
    app.baseUrl,
    token,
    `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n${items}</DL><p>\n`,
  );
  t.is(upload.status, 202);
  await waitForJob(app.baseUrl, token, upload.json.id, {
    until: (job) => job.processed >= 2000,
    timeoutMs: 60_000,
  });
  first.child.kill('SIGKILL');
  await first.exited;
  const atKill = await getJob(app.baseUrl, token, upload.json.id);
  t.is(atKill.status, 'processing');
  t.true(
    atKill.processed >= 2000 && atKill.processed < count,
    `killed mid-way (${atKill.processed})`,
  );
  const locked = await app.db.knex('graphile_worker._private_jobs').whereNotNull('locked_by');
  t.is(locked.length, 1, 'the dead worker still holds the job');

  const restartedAt = Date.now();
  const second = startWorker();
  const done = await waitForJob(app.baseUrl, token, upload.json.id, { timeoutMs: 60_000 });
  const seconds = (Date.now() - restartedAt) / 1000;
  t.is(done.status, 'completed', JSON.stringify(done));
  // Seconds, not graphile-worker's 4 hours; generous because a loaded CI machine starts Node slowly.
  t.true(seconds < 120, `finished ${seconds} s after the restart`);
  await second.waitFor(/unlocked the jobs of dead workers/);
  await second.waitFor(/"msg":"resuming import"/);
  t.is(
    second.output().match(/"msg":"resuming import"/g)?.length,
    1,
    'resumed once, never restarted',
  );
  t.is(
    second.output().match(/unlocked the jobs of dead workers/g)?.length,
    1,
    'only the dead one unlocked',
  );
  t.regex(
    second.output(),
    new RegExp(`"cursor":${atKill.processed}`),
    'resumed from the committed cursor',
  );

  t.is(done.total, count);
  t.is(done.processed, count);
  t.is(done.created, count);
  t.is(done.skipped + done.failed + done.updated, 0);
  const { rows } = await app.db.knex.raw<{
    rows: Array<{ n: number; urls: number; links: number; tags: number }>;
  }>(
    `SELECT count(*)::int AS n, count(DISTINCT url)::int AS urls,
            (SELECT count(*)::int FROM bookmark_tags bt JOIN bookmarks b2 ON b2.id = bt.bookmark_id WHERE b2.owner_id = ?) AS links,
            (SELECT count(*)::int FROM tags WHERE owner_id = ?) AS tags
       FROM bookmarks WHERE owner_id = ?`,
    [user.id, user.id, user.id],
  );
  t.deepEqual(rows[0], { n: count, urls: count, links: count * 2, tags: 10 });
  t.false(
    fs.existsSync((await app.db.knex('import_jobs').where('id', upload.json.id).first()).file_path),
  );

  second.child.kill('SIGTERM');
  t.is(await second.exited, 0);
  const beats = await app.db
    .knex('worker_heartbeats')
    .where('process', 'like', `%:${second.child.pid}`);
  t.deepEqual(beats, [], 'a worker that stops cleanly removes its heartbeats');
});
