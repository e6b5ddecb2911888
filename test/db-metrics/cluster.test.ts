/**
 * The guide's rule, with real parts: the all-in-one app and a second worker
 * process on one PostgreSQL, a real Prometheus scraping both, and CLI
 * processes that write and exit. After a workload through web, worker and
 * CLI — a user deleted with everything it had included — sum() of every
 * counter in Prometheus equals what the database says. Then the reporter's
 * session is cut (pg_terminate_backend), the data changes, and the sums are
 * right again, with never two reporters at once.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { DATABASE_COUNTERS } from '../../src/metrics';
import { projectRoot } from '../../src/paths';
import { api } from '../helpers/client';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { cutReporterSession, databaseCounter } from '../helpers/database-metrics';
import { aToken, aUser } from '../helpers/factories';
import { freePort } from '../helpers/ports';
import { type SpawnedApp, spawnApp, waitForListening } from '../helpers/process';
import { type PrometheusServer, startPrometheus } from '../helpers/prometheus';

let db: TestDatabase;
let prometheus: PrometheusServer;
let site: http.Server;
let base: string;
let appUrl: string;
const processes: SpawnedApp[] = [];
/** Each process's scrape target (host:port), as Prometheus labels it `instance`. */
const targets = new Map<SpawnedApp, string>();
const env: Record<string, string> = {
  FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
  METRICS_DATABASE_GAUGE_INTERVAL: '1',
  // Prometheus scrapes every second here.
  METRICS_REPORTER_HANDOVER: '2',
};

test.before(async () => {
  db = await createTestDatabase();
  site = http.createServer((req, res) => {
    const match = /^\/feed(\d)\.xml$/.exec(req.url ?? '');
    if (!match) return void res.writeHead(404).end('no page here');
    const n = match[1];
    res
      .writeHead(200, { 'content-type': 'application/rss+xml' })
      .end(
        `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${n}</title><link>http://x/</link><description>d</description>` +
          `<item><title>A</title><link>http://x/${n}/a</link><guid>${n}-a</guid></item>` +
          `<item><title>B</title><link>http://x/${n}/b</link><guid>${n}-b</guid></item></channel></rss>`,
      );
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

  const all = spawnApp(['all'], { ...env, DATABASE_URL: db.url });
  const workerPort = await freePort();
  const worker = spawnApp(['worker'], {
    ...env,
    DATABASE_URL: db.url,
    WORKER_METRICS_PORT: String(workerPort),
  });
  processes.push(all, worker);
  appUrl = await waitForListening(all);
  targets.set(all, new URL(appUrl).host);
  targets.set(worker, `127.0.0.1:${workerPort}`);
  await worker.waitFor(/"msg":"worker started"/);
  prometheus = await startPrometheus([
    { name: 'app', targets: [new URL(appUrl).host] },
    { name: 'worker', targets: [`127.0.0.1:${workerPort}`] },
  ]);
});

test.after.always(async () => {
  for (const p of processes) {
    p.child.kill('SIGCONT');
    p.child.kill('SIGTERM');
  }
  await Promise.all(processes.map((p) => p.exited));
  await prometheus?.stop();
  site?.close();
  await db?.close();
});

function cli(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--require', './dist/otel/register.js', 'dist/src/cli/index.js', ...args],
      {
        cwd: projectRoot,
        env: { ...process.env, ...env, DATABASE_URL: db.url, LOG_LEVEL: 'warn' },
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

async function promSum(expr: string): Promise<number | undefined> {
  return (await prometheus.query(`sum(${expr})`))[0]?.value;
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check()) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const count = async (sql: string) =>
  Number((await db.knex.raw<{ rows: Array<{ n: string }> }>(sql)).rows[0]!.n);

/** Every counter series as the database keeps it, and as Prometheus sums it. */
async function compareAll(): Promise<Array<{ series: string; prometheus?: number; db: number }>> {
  const out = [];
  for (const metric of DATABASE_COUNTERS) {
    for (const labels of metric.known) {
      const selector = Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(',');
      const series = `${metric.name}_total{${selector}}`;
      out.push({
        series,
        prometheus: await promSum(series),
        db: await databaseCounter(db.knex, metric.name, labels),
      });
    }
  }
  return out;
}
const agree = (rows: Awaited<ReturnType<typeof compareAll>>) =>
  rows.every((row) => row.prometheus === row.db);

test.serial('after web, worker and CLI writes and a cascade, every sum is the truth', async (t) => {
  // Web: a user with bookmarks made, edited and deleted through the API.
  const user = await aUser();
  const token = await aToken(user.id);
  const ids: number[] = [];
  for (let i = 0; i < 3; i++) {
    const made = await api(appUrl, 'POST', '/api/v1/bookmarks', token, {
      url: `${base}/page/${i}`,
      tags: ['cluster'],
    });
    t.is(made.status, 201);
    ids.push((made.body as { id: number }).id);
  }
  t.is(
    (await api(appUrl, 'PATCH', `/api/v1/bookmarks/${ids[0]}`, token, { title: 'T' })).status,
    200,
  );
  t.is((await api(appUrl, 'DELETE', `/api/v1/bookmarks/${ids[1]}`, token)).status, 204);
  // Worker: an import.
  const form = new FormData();
  const entries = [1, 2, 3].map((n) => `<DT><A HREF="${base}/imported/${n}">Imported ${n}</A>`);
  form.set('file', new Blob([`<DL><p>\n${entries.join('\n')}\n</DL><p>`]), 'b.html');
  const upload = await fetch(`${appUrl}/api/v1/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  t.is(upload.status, 202);
  // CLI: processes that write and exit, never scraped.
  const created = await cli([
    'user:create',
    'carol',
    '--email',
    'carol@example.test',
    '--password',
    'a long enough password',
  ]);
  t.is(created.code, 0, created.output);
  const added = await cli(['feeds:add', 'carol', `${base}/feed1.xml`, `${base}/feed2.xml`]);
  t.is(added.code, 0, added.output);
  await eventually(
    async () =>
      (await count(`SELECT count(*) AS n FROM import_jobs WHERE status = 'completed'`)) === 1,
  );
  await eventually(
    async () => (await count('SELECT count(*) AS n FROM graphile_worker.jobs')) === 0,
  );
  // A cascade: the user goes, with the bookmarks and tags it had left.
  await db.knex('users').where('id', user.id).delete();

  // The database, counted independently of the counters.
  t.is(await count('SELECT count(*) AS n FROM bookmarks'), 0);
  t.is(await count('SELECT count(*) AS n FROM feeds WHERE last_polled_at IS NOT NULL'), 2);
  const items = await count('SELECT count(*) AS n FROM feed_items');
  t.is(items, 4);

  await eventually(async () => agree(await compareAll()));
  const rows = await compareAll();
  t.deepEqual(
    rows.filter((row) => row.prometheus !== row.db),
    [],
    'every counter series: sum() in Prometheus = the database',
  );
  const sum = async (expr: string) => (await promSum(expr)) ?? Number.NaN;
  t.is(await sum('bookmarks_created_total{source="api"}'), 3);
  t.is(await sum('bookmarks_created_total{source="import"}'), 3);
  t.is(await sum('bookmarks_deleted_total'), 6, 'one through the API, five by the cascade');
  t.is(await sum('bookmarks_updated_total{operation="edit"}'), 1);
  t.is(await sum('model_inserts_total{model="user"}'), 2, 'one of them by the CLI');
  t.is(await sum('model_inserts_total{model="feed"}'), 2, 'by the CLI');
  t.is(await sum('feed_polls_total{status="success"}'), 2, 'polled on a worker');
  t.is(await sum('feed_items_discovered_total'), items);
  t.is(await sum('bookmark_imports_total{status="completed"}'), 1);
  t.is(await sum('bookmark_import_items_total{result="created"}'), 3);
  const tables = {
    bookmark: 'bookmarks',
    tag: 'tags',
    user: 'users',
    feed: 'feeds',
    feed_item: 'feed_items',
  };
  for (const [model, table] of Object.entries(tables)) {
    t.is(
      (await sum(`model_inserts_total{model="${model}"}`)) -
        (await sum(`model_deletes_total{model="${model}"}`)),
      await count(`SELECT count(*) AS n FROM ${table}`),
      `inserts - deletes = rows of ${table}`,
    );
  }
  t.is((await prometheus.query('count by (instance) (model_inserts_total)')).length, 1);
});

test.serial(
  'the reporter loses its session: never two reporters, and the sums come back true',
  async (t) => {
    const feeds = await count('SELECT count(*) AS n FROM feeds WHERE NOT disabled');
    await eventually(async () => (await promSum('active_feeds')) === feeds);
    const reporter = (await prometheus.query('count by (instance) (active_feeds)'))[0]?.labels
      .instance;
    const victim = processes.find((p) => targets.get(p) === reporter);
    if (!victim) return t.fail(`the reporter ${reporter} is not one of ours`);
    const other = processes.find((p) => p !== victim)!;
    const since = Date.now();

    // The session goes (a restart, a failover, a network cut) and the process
    // is stalled long enough for the other one to take over: then it resumes,
    // still scraped, as in the report.
    t.is(await cutReporterSession(db.knex), 1, 'the reporter held the lock on one session');
    victim.child.kill('SIGSTOP');
    // The data changes while the reporter is being replaced.
    await db.knex('feeds').where('url', `${base}/feed1.xml`).update({ disabled: true });
    const user = await aUser();
    await db
      .knex('bookmarks')
      .insert({ owner_id: user.id, url: `${base}/after`, unique_hash: 'after' });
    const truth = async () => ({
      active: await count('SELECT count(*) AS n FROM feeds WHERE NOT disabled'),
      bookmarks: await databaseCounter(db.knex, 'model_inserts', { model: 'bookmark' }),
      users: await databaseCounter(db.knex, 'model_inserts', { model: 'user' }),
    });
    const scraped = async () => ({
      active: await promSum('active_feeds'),
      bookmarks: await promSum('model_inserts_total{model="bookmark"}'),
      users: await promSum('model_inserts_total{model="user"}'),
    });
    const want = await truth();
    t.deepEqual(want, { active: feeds - 1, bookmarks: 7, users: 3 });
    await eventually(async () => JSON.stringify(await scraped()) === JSON.stringify(want));
    victim.child.kill('SIGCONT');
    // Let Prometheus scrape the resumed process a few times.
    await prometheus.waitForScrapes(Date.now());
    await prometheus.waitForScrapes(Date.now());

    t.deepEqual(await scraped(), want, 'the sums equal the database after the takeover');
    t.true(agree(await compareAll()), 'and so does every other counter');
    const now = await prometheus.query('count by (instance) (active_feeds)');
    t.deepEqual(
      now.map((r) => r.labels.instance),
      [targets.get(other)],
      'the other process reports now',
    );
    // The resumed process exports none of it: the series left its scrape.
    const own = await (await fetch(`http://${targets.get(victim)}/metrics`)).text();
    t.notRegex(own, /^(active_feeds|model_inserts_total|worker_jobs_waiting)[ {]/m);
    t.regex(own, /^worker_jobs_total/m);
    // Over the whole episode, sampled every second: at most one reporter, and
    // never more than the database held.
    const window = `${Math.ceil((Date.now() - since) / 1000) + 5}s`;
    const [reporters] = await prometheus.query(`max_over_time(count(active_feeds)[${window}:1s])`);
    t.is(reporters?.value, 1);
    const [highest] = await prometheus.query(`max_over_time(sum(active_feeds)[${window}:1s])`);
    t.is(highest?.value, feeds);
  },
);
