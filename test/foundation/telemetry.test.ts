import http from 'node:http';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { metricValue, parseMetrics, promtoolCheck, scrape } from '../helpers/metrics';

let app: TestApp;
test.before(async () => {
  app = await startTestApp();
});
test.after.always(async () => {
  await app?.stop();
});

test.serial(
  'a request is recorded with its Koa route in http_server_request_duration_seconds',
  async (t) => {
    const before = metricValue(
      await scrape(app.baseUrl),
      'http_server_request_duration_seconds_count',
      {
        http_route: '/bookmarks',
      },
    );
    const response = await fetch(`${app.baseUrl}/bookmarks`);
    t.is(response.status, 200);
    const text = await scrape(app.baseUrl);
    t.is(
      metricValue(text, 'http_server_request_duration_seconds_count', {
        http_route: '/bookmarks',
        http_request_method: 'GET',
        http_response_status_code: '200',
      }) - before,
      1,
    );
    // Second-shaped buckets: 10 s is the top finite bucket, not 10000.
    t.regex(text, /http_server_request_duration_seconds_bucket\{[^}]*le="10"/);
    t.notRegex(text, /http_server_request_duration_seconds_bucket\{[^}]*le="10000"/);
  },
);

test.serial(
  'a query in a request is recorded in db_client_operation_duration_seconds (pg is patched)',
  async (t) => {
    const before = metricValue(
      await scrape(app.baseUrl),
      'db_client_operation_duration_seconds_count',
    );
    t.is((await fetch(`${app.baseUrl}/bookmarks`)).status, 200);
    const after = metricValue(
      await scrape(app.baseUrl),
      'db_client_operation_duration_seconds_count',
    );
    t.true(after - before >= 1, `expected the list's queries to be counted (${before} → ${after})`);
  },
);

test.serial('scrapes and health probes are not app traffic: no HTTP or query series', async (t) => {
  const before = await scrape(app.baseUrl);
  for (const path of ['/metrics', '/healthz', '/readyz']) {
    t.is((await fetch(`${app.baseUrl}${path}`)).status, 200);
  }
  const text = await scrape(app.baseUrl);
  for (const route of ['/metrics', '/healthz', '/readyz']) {
    t.is(metricValue(text, 'http_server_request_duration_seconds_count', { http_route: route }), 0);
  }
  t.false(/url_path="\/metrics"/.test(text));
  // /readyz queries the database; outside a request's context that is not counted.
  t.is(
    metricValue(text, 'db_client_operation_duration_seconds_count'),
    metricValue(before, 'db_client_operation_duration_seconds_count'),
  );
});

test.serial('idle worker polling does not flood the database metric', async (t) => {
  const before = metricValue(
    await scrape(app.baseUrl),
    'db_client_operation_duration_seconds_count',
  );
  await new Promise((resolve) => setTimeout(resolve, 3000)); // the worker polls every second
  const after = metricValue(
    await scrape(app.baseUrl),
    'db_client_operation_duration_seconds_count',
  );
  t.is(after, before);
});

test.serial(
  'the scrape has the Prometheus content type, runtime, process and worker metrics',
  async (t) => {
    const response = await fetch(`${app.baseUrl}/metrics`);
    t.is(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const text = await response.text();
    for (const name of [
      'nodejs_eventloop_delay_p99_seconds',
      'v8js_memory_heap_used_bytes',
      'v8js_gc_duration_seconds_bucket',
      'process_cpu_time_seconds_total',
      'process_memory_usage_bytes',
      'process_start_time_seconds',
      'process_open_fds',
      'process_max_fds',
      'http_server_active_requests',
      'http_server_request_body_size_bytes_bucket',
      'http_server_response_body_size_bytes_bucket',
      'target_info',
    ]) {
      t.regex(text, new RegExp(`^${name}`, 'm'), `${name} is missing`);
    }
    t.regex(text, /^# HELP http_server_request_duration_seconds /m);
  },
);

test.serial('promtool check metrics finds no problem in a real scrape', async (t) => {
  await fetch(`${app.baseUrl}/`);
  await fetch(`${app.baseUrl}/does-not-exist`);
  const result = promtoolCheck(await scrape(app.baseUrl));
  t.true(result.ok, result.output);
  t.is(result.output, '');
});

test.serial('process_cpu_utilization_ratio is a finite ratio on every scrape', async (t) => {
  for (let i = 0; i < 3; i++) {
    const samples = parseMetrics(await scrape(app.baseUrl)).filter(
      (s) => s.name === 'process_cpu_utilization_ratio',
    );
    t.deepEqual(samples.map((s) => s.labels.cpu_mode).sort(), ['system', 'user']);
    for (const sample of samples) {
      t.true(Number.isFinite(sample.value) && sample.value >= 0, `${sample.value}`);
    }
  }
});

test.serial('active requests and body sizes follow the request, with its route', async (t) => {
  const before = await scrape(app.baseUrl);
  const response = await fetch(`${app.baseUrl}/bookmarks`);
  const length = Number(response.headers.get('content-length'));
  await response.arrayBuffer();
  const text = await scrape(app.baseUrl);
  const labels = { http_route: '/bookmarks', http_response_status_code: '200' };
  const delta = (name: string) =>
    metricValue(text, name, labels) - metricValue(before, name, labels);
  t.is(delta('http_server_response_body_size_bytes_count'), 1);
  t.is(delta('http_server_response_body_size_bytes_sum'), length);
  t.is(delta('http_server_request_body_size_bytes_sum'), 0, 'a GET has no body');
  // The scrape itself is not app traffic: nothing is in flight once it answers.
  t.is(metricValue(text, 'http_server_active_requests'), 0);
});

test.serial('HEAD /metrics answers like GET without a body; gzip when asked', async (t) => {
  const head = await fetch(`${app.baseUrl}/metrics`, { method: 'HEAD' });
  t.is(head.status, 200);
  t.is(head.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  t.true(Number(head.headers.get('content-length')) > 1000);
  t.is(await head.text(), '');

  // node:http, not fetch, which would decompress it: the bytes as sent.
  const zipped = await new Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }>(
    (resolve, reject) => {
      http
        .get(`${app.baseUrl}/metrics`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
        })
        .on('error', reject);
    },
  );
  t.is(zipped.headers['content-encoding'], 'gzip');
  t.regex(String(zipped.headers.vary), /Accept-Encoding/i);
  const text = (await promisify(zlib.gunzip)(zipped.body)).toString();
  t.regex(text, /^# HELP target_info/);
  t.true(promtoolCheck(text).ok);

  const plain = await fetch(`${app.baseUrl}/metrics`, {
    headers: { 'accept-encoding': 'identity' },
  });
  t.is(plain.headers.get('content-encoding'), null);
});
