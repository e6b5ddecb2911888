import { spawn } from 'node:child_process';
import test from 'ava';
import { projectRoot } from '../../src/paths';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { spawnApp, waitForListening } from '../helpers/process';

function cli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--require', './dist/otel/register.js', 'dist/src/cli/index.js', ...args],
      {
        cwd: projectRoot,
        env: { ...process.env, LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, output }));
  });
}

/** What a self-test run must not leave in the database. */
async function leftovers(db: TestDatabase): Promise<Record<string, number>> {
  const count = async (table: string) =>
    Number((await db.knex(table).count<{ n: string }[]>('* as n'))[0]!.n);
  return {
    users: await count('users'),
    bookmarks: await count('bookmarks'),
    feeds: await count('feeds'),
    jobs: await count('graphile_worker.jobs'),
  };
}

test('test-metrics in-process (ids on): every check passes and it leaves nothing behind', async (t) => {
  const db = await createTestDatabase({ bindModels: false });
  t.teardown(() => db.close());
  const { code, output } = await cli(['test-metrics'], {
    DATABASE_URL: db.url,
    METRICS_ID_LABELS: 'true',
  });
  t.is(code, 0, output);
  t.regex(output, /All \d+ checks passed/);
  t.regex(output, /^ok\s+bookmarks_created_total\{user_id="\d+",source="api"\}\s+\+1\s+\+1$/m);
  t.notRegex(output, /^MISS/m);
  t.deepEqual(await leftovers(db), { users: 0, bookmarks: 0, feeds: 0, jobs: 0 });
});

test('test-metrics --url against a running instance with id labels off', async (t) => {
  const db = await createTestDatabase({ bindModels: false });
  t.teardown(() => db.close());
  const app = spawnApp(['all'], {
    DATABASE_URL: db.url,
    METRICS_ID_LABELS: 'false',
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  const url = await waitForListening(app);
  const { code, output } = await cli(['test-metrics', '--url', url], {
    DATABASE_URL: db.url,
    METRICS_ID_LABELS: 'false',
  });
  t.is(code, 0, output);
  // Without user_id the user-scoped rows become at-least checks on the unlabelled series.
  t.regex(output, /^ok\s+bookmarks_created_total\{source="api"\}\s+≥ \+1/m);
  // The instance's guard blocks the fixture site on 127.0.0.1; the poll is still counted.
  t.regex(output, /note: feed poll: not successful/);
  const after = await leftovers(db);
  t.deepEqual({ ...after, jobs: 0 }, { users: 0, bookmarks: 0, feeds: 0, jobs: 0 });
});

test('test-metrics exits non-zero, with a clear message, when metrics cannot be scraped', async (t) => {
  const db = await createTestDatabase({ bindModels: false });
  t.teardown(() => db.close());
  const app = spawnApp(['all'], {
    DATABASE_URL: db.url,
    METRICS_ENABLED: 'false',
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  const url = await waitForListening(app);
  const { code, output } = await cli(['test-metrics', '--url', url], { DATABASE_URL: db.url });
  t.is(code, 1);
  t.regex(
    output,
    /^Self-test stopped: scrape of http:\/\/127\.0\.0\.1:\d+\/metrics answered 404$/m,
  );
  t.notRegex(output, /\n\s+at /, 'no stack trace for an expected failure');
});
