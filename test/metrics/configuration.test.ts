import test from 'ava';
import { api } from '../helpers/client';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { metricValue, parseMetrics } from '../helpers/metrics';
import { spawnApp, waitForListening } from '../helpers/process';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

/**
 * One web process at a time on the shared database (the tests are serial):
 * each is the reporter of the database counters as soon as it starts.
 */
async function spawnWeb(t: import('ava').ExecutionContext, env: Record<string, string>) {
  const app = spawnApp(['web'], {
    DATABASE_URL: db.url,
    METRICS_REPORTER_HANDOVER: '0',
    METRICS_DATABASE_GAUGE_INTERVAL: '1',
    ...env,
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  return waitForListening(app);
}

/** The tests share one database: its bookmarks are what the counter must say. */
async function bookmarkRows(): Promise<number> {
  return Number((await db.knex('bookmarks').count<{ n: string }[]>('* as n'))[0]!.n);
}

async function createBookmarks(baseUrl: string, users: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < users; i++) {
    const user = await aUser();
    ids.push(user.id);
    const response = await api(baseUrl, 'POST', '/api/v1/bookmarks', await aToken(user.id), {
      url: `https://example.com/config-test/${user.id}`,
    });
    if (response.status !== 201) throw new Error(`create failed: ${JSON.stringify(response.body)}`);
  }
  return ids;
}

test.serial('scope labels on, target_info off, custom buckets, id labels off', async (t) => {
  const baseUrl = await spawnWeb(t, {
    METRICS_SCOPE_LABELS: 'true',
    METRICS_TARGET_INFO: 'false',
    METRICS_DURATION_BUCKETS: '0.1,1,30',
    METRICS_ID_LABELS: 'false',
  });
  await createBookmarks(baseUrl, 2);
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  t.notRegex(text, /^target_info/m);
  t.regex(text, /^bookmarks_created_total\{[^}]*otel_scope_name="pebbling-club"/m);
  t.false(/user_id=/.test(text), 'no user_id label anywhere');
  t.is(metricValue(text, 'bookmarks_created_total', { source: 'api' }), await bookmarkRows());
  const les = new Set(
    parseMetrics(text)
      .filter((s) => s.name === 'http_server_request_duration_seconds_bucket')
      .map((s) => s.labels.le),
  );
  t.deepEqual([...les].sort(), ['+Inf', '0.1', '1', '30']);
});

test.serial('defaults: target_info on, no scope labels, no id labels', async (t) => {
  const baseUrl = await spawnWeb(t, {});
  await createBookmarks(baseUrl, 1);
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  t.regex(text, /^target_info\{[^}]*service_name="pebbling-club"/m);
  t.notRegex(text, /otel_scope_name/);
  t.false(/user_id=|feed_id=/.test(text), 'ids are opt-in');
  t.is(metricValue(text, 'bookmarks_created_total', { source: 'api' }), await bookmarkRows());
});

test.serial('METRICS_ID_LABELS=true adds the owner to the series', async (t) => {
  const baseUrl = await spawnWeb(t, { METRICS_ID_LABELS: 'true' });
  const [id] = await createBookmarks(baseUrl, 1);
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  t.is(metricValue(text, 'bookmarks_created_total', { user_id: id!, source: 'api' }), 1);
});

test.serial('METRICS_CARDINALITY_LIMIT folds extra series into one overflow series', async (t) => {
  const baseUrl = await spawnWeb(t, { METRICS_CARDINALITY_LIMIT: '10', METRICS_ID_LABELS: 'true' });
  const ids = await createBookmarks(baseUrl, 14);
  const samples = parseMetrics(await (await fetch(`${baseUrl}/metrics`)).text()).filter(
    (s) => s.name === 'bookmarks_created_total',
  );
  t.true(samples.length <= 10, `${samples.length} series`);
  const overflow = samples.find((s) => s.labels.otel_metric_overflow === 'true');
  t.truthy(overflow, 'an overflow series exists');
  t.is(overflow!.labels.source, 'api', 'it keeps the labels that are not ids');
  // Nothing is lost: the series still add up to every bookmark created.
  t.true(ids.length === 14);
  t.is(
    samples.reduce((sum, s) => sum + s.value, 0),
    await bookmarkRows(),
  );
});

test.serial(
  'METRICS_CARDINALITY_LIMIT also caps the histograms that have views (the HTTP one here; the views are built alike)',
  async (t) => {
    const baseUrl = await spawnWeb(t, { METRICS_CARDINALITY_LIMIT: '10' });
    const paths = [
      '/',
      '/bookmarks',
      '/auth/login',
      '/auth/register',
      '/t',
      '/u',
      '/feeds',
      '/import',
    ];
    const methods = ['GET', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'SEARCH'];
    let sent = 0;
    for (const path of paths) {
      await fetch(`${baseUrl}${path}`, { redirect: 'manual' });
      sent += 1;
    }
    for (const method of methods) {
      await fetch(`${baseUrl}/no-such-page`, { method, redirect: 'manual' });
      sent += 1;
    }
    const samples = parseMetrics(await (await fetch(`${baseUrl}/metrics`)).text()).filter(
      (s) => s.name === 'http_server_request_duration_seconds_count',
    );
    t.true(samples.length <= 10, `${samples.length} series`);
    t.truthy(samples.find((s) => s.labels.otel_metric_overflow === 'true'));
    t.is(
      samples.reduce((sum, s) => sum + s.value, 0),
      sent,
      'nothing is lost',
    );
  },
);
