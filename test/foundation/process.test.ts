import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { createTestDatabase } from '../helpers/database';
import { freePort } from '../helpers/ports';
import { postgresProcessesFor, spawnApp, waitForListening } from '../helpers/process';

test('starts on embedded PostgreSQL, stops cleanly on SIGTERM, keeps its data on restart', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-data-'));
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: '',
    WORKER_METRICS_PORT: '0',
  };

  const first = spawnApp(['all'], env);
  const baseUrl = await waitForListening(first);
  t.is((await fetch(`${baseUrl}/healthz`)).status, 200);
  t.is((await fetch(`${baseUrl}/readyz`)).status, 200);
  t.true(postgresProcessesFor(dataDir).length > 0, 'an embedded postgres runs for this data dir');
  // Write something that must survive the restart.
  const pgUrl = `postgres://postgres:${fs.readFileSync(path.join(dataDir, 'postgres-password'), 'utf8').trim()}@127.0.0.1:${/"port":(\d+)[^\n]*embedded PostgreSQL started/.exec(first.output())![1]}/pebbling`;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  await client.query(
    `insert into users (username, email, password_hash) values ('keeper', 'k@example.test', 'x')`,
  );
  await client.end();

  first.child.kill('SIGTERM');
  t.is(await first.exited, 0, first.output());
  t.regex(first.output(), /embedded PostgreSQL stopped/);
  t.deepEqual(postgresProcessesFor(dataDir), [], 'no postgres process is left behind');

  const second = spawnApp(['all'], env);
  await waitForListening(second);
  const again = new pg.Client({
    connectionString: pgUrl.replace(
      /:\d+\/pebbling$/,
      `:${/"port":(\d+)[^\n]*embedded PostgreSQL started/.exec(second.output())![1]}/pebbling`,
    ),
  });
  await again.connect();
  const { rows } = await again.query(
    `select count(*)::int as n from users where username = 'keeper'`,
  );
  await again.end();
  t.is(rows[0].n, 1);
  second.child.kill('SIGINT');
  t.is(await second.exited, 0);
  t.deepEqual(postgresProcessesFor(dataDir), []);
});

test('a bad configuration value exits non-zero naming the variable and what is allowed', async (t) => {
  const app = spawnApp(['all'], { PORT: 'eighty', METRICS_ENABLED: 'maybe' });
  t.is(await app.exited, 2);
  t.regex(app.output(), /PORT="eighty" is not valid: expected an integer from 0 to 65535/);
  t.regex(app.output(), /METRICS_ENABLED="maybe" is not valid: expected true or false/);
});

for (const [name, env, log] of [
  [
    'METRICS_ENABLED=false',
    { METRICS_ENABLED: 'false' },
    /metrics are off \(METRICS_ENABLED=false\)/,
  ],
  ['OTEL_SDK_DISABLED=true', { OTEL_SDK_DISABLED: 'true' }, /OpenTelemetry SDK disabled/],
] as const) {
  test(`${name}: a clean app with no /metrics (404) and a log line saying so`, async (t) => {
    const db = await createTestDatabase();
    t.teardown(() => db.close());
    const app = spawnApp(['web'], { ...env, DATABASE_URL: db.url });
    t.teardown(() => app.child.kill('SIGKILL'));
    const baseUrl = await waitForListening(app);
    t.regex(app.output(), log);
    t.is((await fetch(`${baseUrl}/metrics`)).status, 404);
    t.is((await fetch(`${baseUrl}/healthz`)).status, 200);
    t.is((await fetch(`${baseUrl}/`)).status, 200);
  });
}

test('a worker-only process serves its own /metrics on WORKER_METRICS_PORT', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.close());
  const port = await freePort();
  const app = spawnApp(['worker'], { DATABASE_URL: db.url, WORKER_METRICS_PORT: String(port) });
  t.teardown(() => app.child.kill('SIGKILL'));
  await app.waitFor(/"msg":"worker started"/);
  await app.waitFor(/"msg":"metrics listening"/);
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  t.is(response.status, 200);
  t.regex(await response.text(), /^process_cpu_time_seconds_total/m);
  app.child.kill('SIGTERM');
  t.is(await app.exited, 0, app.output());
});
