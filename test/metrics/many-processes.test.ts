/**
 * Two web and two worker processes on one PostgreSQL, scraped by a real
 * Prometheus and pushing OTLP to a receiver. After a scripted workload, the sums
 * across instances equal what the database says happened, and gauges read
 * from the database are not multiplied by the number of processes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { normaliseFeedUrl } from '../../src/feeds';
import { api, TestClient } from '../helpers/client';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver';
import { freePort } from '../helpers/ports';
import { type SpawnedApp, spawnApp, waitForListening } from '../helpers/process';
import { type PrometheusServer, startPrometheus } from '../helpers/prometheus';

let db: TestDatabase;
let receiver: OtlpReceiver;
let prometheus: PrometheusServer;
const processes: SpawnedApp[] = [];
const webUrls: string[] = [];
const workerTargets: string[] = [];
/** host:port scraped by Prometheus → the process behind it. */
const processByTarget = new Map<string, SpawnedApp>();

test.before(async () => {
  db = await createTestDatabase();
  receiver = await startOtlpReceiver();
  const common = {
    DATABASE_URL: db.url,
    OTEL_METRICS_EXPORTER: 'prometheus,otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_METRIC_EXPORT_INTERVAL: '500',
    METRICS_DATABASE_GAUGE_INTERVAL: '1',
    // Prometheus scrapes every second here: a new reporter waits 2 s.
    METRICS_REPORTER_HANDOVER: '2',
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
  };
  const starting: Array<Promise<void>> = [];
  for (let i = 0; i < 2; i++) {
    const web = spawnApp(['web'], common);
    processes.push(web);
    starting.push(
      waitForListening(web).then((url) => {
        webUrls.push(url);
        processByTarget.set(new URL(url).host, web);
      }),
    );
    const metricsPort = await freePort();
    const worker = spawnApp(['worker'], { ...common, WORKER_METRICS_PORT: String(metricsPort) });
    processes.push(worker);
    workerTargets.push(`127.0.0.1:${metricsPort}`);
    processByTarget.set(`127.0.0.1:${metricsPort}`, worker);
    starting.push(worker.waitFor(/"msg":"worker started"/).then(() => undefined));
  }
  await Promise.all(starting);
  prometheus = await startPrometheus([
    { name: 'web', targets: webUrls.map((u) => new URL(u).host) },
    { name: 'worker', targets: workerTargets },
  ]);
});

test.after.always(async () => {
  for (const p of processes) p.child.kill('SIGTERM');
  await Promise.all(processes.map((p) => p.exited));
  await prometheus?.stop();
  await receiver?.close();
  await db?.close();
});

async function eventually(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) return;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function promSum(expr: string): Promise<number> {
  const result = await prometheus.query(`sum(${expr})`);
  return result[0]?.value ?? 0;
}

test.serial(
  'sums across two web processes equal the rows in the database (Prometheus and OTLP)',
  async (t) => {
    const registrations = 6;
    for (let i = 0; i < registrations; i++) {
      const client = new TestClient(webUrls[i % 2]!);
      const response = await client.register(`spread${i}`);
      t.is(response.status, 302);
    }
    const truth = Number(
      (await db.knex('users').count<{ count: string }[]>('* as count'))[0]!.count,
    );
    t.is(truth, registrations);

    // The counter comes from the reporting process, the requests from the web
    // processes: wait for both to be scraped.
    const registered = () =>
      promSum(
        'http_server_request_duration_seconds_count{http_route="/auth/register",http_request_method="POST"}',
      );
    await eventually(
      async () =>
        (await promSum('model_inserts_total{model="user"}')) === truth &&
        (await registered()) === registrations,
    );
    t.is(await promSum('model_inserts_total{model="user"}'), truth);
    t.is(await registered(), registrations);
    // Each web process served some of them; the database counted them, and
    // one process reports its count: one series, not one per process.
    const perInstance = await prometheus.query('model_inserts_total{model="user"}');
    t.is(perInstance.length, 1);
    t.is(
      await promSum(
        'http_server_request_duration_seconds_count{http_route="/auth/register",http_request_method="POST",job="web"} > 0',
      ),
      registrations,
    );
    t.is(
      (
        await prometheus.query(
          'http_server_request_duration_seconds_count{http_route="/auth/register",http_request_method="POST"} > 0',
        )
      ).length,
      2,
      'both web processes served registrations',
    );

    await eventually(async () => receiver.total('model_inserts', { model: 'user' }) === truth);
    t.is(receiver.total('model_inserts', { model: 'user' }), truth);
    t.is(
      receiver.total('http.server.request.duration', {
        'http.route': '/auth/register',
        'http.request.method': 'POST',
      }),
      registrations,
    );
    // OTLP keeps the semantic-convention name and unit; the scrape has the suffixed name.
    t.deepEqual([...receiver.units('http.server.request.duration')], ['s']);
    t.true(receiver.instances().size >= 4, 'all four processes pushed');
  },
);

test.serial(
  'bookmarks, feed polls and imports spread over the processes sum to the truth',
  async (t) => {
    // A fixture site: four feeds, and pages that 404 (so unfurls find no extra feeds).
    const site = http.createServer((req, res) => {
      const match = /^\/feed(\d)\.xml$/.exec(req.url ?? '');
      if (!match) return void res.writeHead(404).end('no page here');
      const n = match[1];
      res
        .writeHead(200, { 'content-type': 'application/rss+xml' })
        .end(
          `<?xml version="1.0"?><rss version="2.0"><channel><title>Feed ${n}</title><link>http://x/</link><description>d</description>` +
            `<item><title>A${n}</title><link>http://x/${n}/a</link><guid>${n}-a</guid></item>` +
            `<item><title>B${n}</title><link>http://x/${n}/b</link><guid>${n}-b</guid></item></channel></rss>`,
        );
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    t.teardown(() => site.close());
    const base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    const users = await Promise.all([0, 1].map(() => aUser()));
    const tokens = await Promise.all(users.map((user) => aToken(user.id)));
    for (let i = 0; i < 10; i++) {
      const response = await api(webUrls[i % 2]!, 'POST', '/api/v1/bookmarks', tokens[i % 2], {
        url: `${base}/page/${i}`,
        tags: ['spread'],
      });
      t.is(response.status, 201);
    }
    for (let i = 0; i < 4; i++) {
      // POST /feeds/fetch polls only the caller's own feeds: follow it first
      // (rows only: the one poll is the one /feeds/fetch queues).
      const [feed] = await db
        .knex('feeds')
        .insert({ url: normaliseFeedUrl(`${base}/feed${i}.xml`) })
        .returning<Array<{ id: number }>>('id');
      await db.knex('feed_subscriptions').insert({ user_id: users[i % 2]!.id, feed_id: feed!.id });
      const response = await api(webUrls[i % 2]!, 'POST', '/feeds/fetch', tokens[i % 2], {
        urls: [`${base}/feed${i}.xml`],
      });
      t.is(response.status, 200);
    }
    for (let i = 0; i < 2; i++) {
      const form = new FormData();
      const entries = [1, 2, 3]
        .map(
          (n) => `<DT><A HREF="${base}/imported/${i}/${n}" ADD_DATE="1700000000">Imported ${n}</A>`,
        )
        .join('\n');
      form.set(
        'file',
        new Blob([`<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n${entries}\n</DL><p>`]),
        'b.html',
      );
      const response = await fetch(`${webUrls[i]}/api/v1/imports`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokens[i]}` },
        body: form,
      });
      t.is(response.status, 202);
    }
    await eventually(async () => {
      const { rows } = await db.knex.raw<{ rows: Array<{ n: number }> }>(
        `select count(*)::int as n from import_jobs where status in ('completed', 'failed')`,
      );
      return rows[0]!.n === 2;
    }, 60_000);

    const count = async (sql: string) =>
      (await db.knex.raw<{ rows: Array<{ n: number }> }>(sql)).rows[0]!.n;
    const truth = {
      bookmarks: await count('select count(*)::int as n from bookmarks'),
      polled: await count('select count(*)::int as n from feeds where last_polled_at is not null'),
      items: await count('select count(*)::int as n from feed_items'),
      imports: await count(`select count(*)::int as n from import_jobs where status = 'completed'`),
    };
    t.deepEqual(truth, { bookmarks: 16, polled: 4, items: 8, imports: 2 });

    const prom = async () => ({
      bookmarks: await promSum('bookmarks_created_total'),
      polled: await promSum('feed_polls_total'),
      items: await promSum('feed_items_discovered_total'),
      imports: await promSum('bookmark_imports_total{status="completed"}'),
    });
    await eventually(async () => JSON.stringify(await prom()) === JSON.stringify(truth), 30_000);
    t.deepEqual(await prom(), truth, 'Prometheus sums across the four processes');
    // Both web processes took part, and the work ran on the workers.
    t.is(
      (
        await prometheus.query(
          'http_server_request_duration_seconds_count{http_route="/api/v1/bookmarks",http_request_method="POST"} > 0',
        )
      ).length,
      2,
      'both web processes created bookmarks',
    );
    t.is(
      await promSum('worker_jobs_total{task="poll_feed",job="web"}'),
      0,
      'polls run on the workers',
    );

    const otlp = () => ({
      bookmarks: receiver.total('bookmarks_created'),
      polled: receiver.total('feed_polls'),
      items: receiver.total('feed_items_discovered'),
      imports: receiver.total('bookmark_imports', { status: 'completed' }),
    });
    await eventually(async () => JSON.stringify(otlp()) === JSON.stringify(truth), 30_000);
    t.deepEqual(otlp(), truth, 'the OTLP push gives the same totals');
  },
);

test.serial('a gauge read from the database is reported once, not once per process', async (t) => {
  // Jobs for a task no worker knows stay waiting.
  for (let i = 0; i < 3; i++) {
    await db.knex.raw(`select graphile_worker.add_job('selftest_unknown_task', '{}'::json)`);
  }
  await eventually(
    async () => (await promSum('worker_jobs_waiting{task="selftest_unknown_task"}')) === 3,
  );
  t.is(await promSum('worker_jobs_waiting{task="selftest_unknown_task"}'), 3);
  const reporters = await prometheus.query('count by (instance) (worker_jobs_waiting)');
  t.is(reporters.length, 1, 'exactly one process reports database gauges');
  await eventually(
    async () => receiver.total('worker_jobs_waiting', { task: 'selftest_unknown_task' }) === 3,
  );
  t.is(receiver.total('worker_jobs_waiting', { task: 'selftest_unknown_task' }), 3);
});

test.serial(
  'when the reporting process dies, another takes over and the sum stays right',
  async (t) => {
    const reporters = await prometheus.query('count by (instance) (worker_jobs_waiting)');
    const reporter = reporters[0]!.labels.instance!;
    const victim = processByTarget.get(reporter);
    if (!victim) return t.fail(`the reporter ${reporter} is not one of ours`);
    victim.child.kill('SIGKILL');
    await victim.exited;
    const since = Date.now();
    await eventually(async () => {
      const now = await prometheus.query('count by (instance) (worker_jobs_waiting)');
      return now.length === 1 && now[0]!.labels.instance !== reporter;
    }, 30_000);
    const now = await prometheus.query('count by (instance) (worker_jobs_waiting)');
    t.is(now.length, 1);
    t.not(now[0]!.labels.instance, reporter);
    t.true(Date.now() - since < 30_000);
    t.is(await promSum('worker_jobs_waiting{task="selftest_unknown_task"}'), 3);
  },
);
