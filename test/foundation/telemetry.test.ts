import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { metricValue, promtoolCheck, scrape } from '../helpers/metrics';

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
        http_route: '/healthz',
      },
    );
    const response = await fetch(`${app.baseUrl}/healthz`);
    t.is(response.status, 200);
    const text = await scrape(app.baseUrl);
    t.is(
      metricValue(text, 'http_server_request_duration_seconds_count', {
        http_route: '/healthz',
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
    t.is((await fetch(`${app.baseUrl}/readyz`)).status, 200);
    const after = metricValue(
      await scrape(app.baseUrl),
      'db_client_operation_duration_seconds_count',
    );
    t.true(
      after - before >= 1,
      `expected the readiness query to be counted (${before} → ${after})`,
    );
  },
);

test.serial('requests to /metrics are not counted in the HTTP metric', async (t) => {
  await scrape(app.baseUrl);
  await scrape(app.baseUrl);
  const text = await scrape(app.baseUrl);
  t.is(
    metricValue(text, 'http_server_request_duration_seconds_count', { http_route: '/metrics' }),
    0,
  );
  t.false(/url_path="\/metrics"/.test(text));
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
