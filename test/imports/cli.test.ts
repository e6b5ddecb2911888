/** `npm run cli -- import`: queues the job for the worker and shows its progress until it ends. */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { projectRoot } from '../../src/paths';
import { startTestApp, type TestApp } from '../helpers/app';
import { aUser } from '../helpers/factories';
import { bookmarksOf, FIXTURES } from './support';

let app: TestApp;
let dataDir: string;
test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-import-cli-'));
  app = await startTestApp({ DATA_DIR: dataDir, IMPORT_MAX_BYTES: '1mb' });
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['dist/src/cli/index.js', ...args], {
      cwd: projectRoot,
      env: {
        ...process.env,
        DATABASE_URL: app.db.url,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        IMPORT_MAX_BYTES: '1mb',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test('imports through the worker with a progress bar; options apply; the original file is left alone', async (t) => {
  const user = await aUser();
  const file = path.join(FIXTURES, 'firefox.html');
  const before = fs.readFileSync(file);
  const run = await cli([
    'import',
    '--user',
    user.username,
    file,
    '--tags',
    'from-cli Extra',
    '--private',
  ]);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /Queued import #\d+ of firefox\.html \(\d+(\.\d)? KB\) for /);
  t.regex(run.stdout, /\[#{30}\] 100% 5\/5 completed/);
  t.regex(run.stdout, /completed: 5 records, 3 created, 0 updated, 1 skipped, 1 failed/);
  t.regex(run.stdout, /#1 place:parent=menu/);
  const rows = await bookmarksOf(app.db.knex, user.id);
  t.is(rows.length, 3);
  t.true(
    rows.every((row) => row.private && row.tags.includes('from-cli') && row.tags.includes('extra')),
  );
  t.deepEqual(fs.readFileSync(file), before);
  const job = await app.db.knex('import_jobs').where('user_id', user.id).first();
  t.is(job.original_filename, 'firefox.html');
});

test('--no-wait returns once queued; --duplicates overwrite; a failed import exits 1 with its reason', async (t) => {
  const user = await aUser();
  const queued = await cli([
    'import',
    '--user',
    user.username,
    path.join(FIXTURES, 'pinboard.json'),
    '--no-wait',
  ]);
  t.is(queued.code, 0, queued.stderr);
  t.regex(queued.stdout, /A worker will run it/);
  t.notRegex(queued.stdout, /%/);
  const id = Number(/#(\d+)/.exec(queued.stdout)![1]);
  for (let i = 0; i < 200; i++) {
    const row = await app.db.knex('import_jobs').where('id', id).first();
    if (row.status === 'completed') break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const again = await cli([
    'import',
    '--user',
    user.username,
    path.join(FIXTURES, 'pinboard.json'),
    '--duplicates',
    'overwrite',
  ]);
  t.is(again.code, 0, again.stderr);
  t.regex(again.stdout, /0 created, 3 updated/);
  const binary = path.join(dataDir, 'binary.html');
  fs.writeFileSync(binary, Buffer.from([0, 1, 2, 0]));
  const failed = await cli(['import', '--user', user.username, binary]);
  t.is(failed.code, 1);
  t.regex(failed.stderr, /binary file/);
});

test('usage errors exit 2 with a clear message', async (t) => {
  const user = await aUser();
  const missingUser = await cli([
    'import',
    '--user',
    'nobody-here',
    path.join(FIXTURES, 'pinboard.json'),
  ]);
  t.is(missingUser.code, 2);
  t.regex(missingUser.stderr, /There is no user called nobody-here/);
  const noFile = await cli(['import', '--user', user.username, '/nonexistent/file.html']);
  t.is(noFile.code, 2);
  t.regex(noFile.stderr, /Cannot read \/nonexistent\/file\.html: ENOENT/);
  const badOption = await cli([
    'import',
    '--user',
    user.username,
    path.join(FIXTURES, 'pinboard.json'),
    '--duplicates',
    'maybe',
  ]);
  t.is(badOption.code, 2);
  t.regex(badOption.stderr, /duplicates is "skip" or "overwrite"/);
  const big = path.join(dataDir, 'big.html');
  fs.writeFileSync(big, Buffer.alloc(2 * 1024 * 1024, 'a'));
  const tooBig = await cli(['import', '--user', user.username, big]);
  t.is(tooBig.code, 2);
  t.regex(tooBig.stderr, /larger than the import limit of 1 MB \(IMPORT_MAX_BYTES\)/);
  t.is((await app.db.knex('import_jobs').where('user_id', user.id)).length, 0);
});
