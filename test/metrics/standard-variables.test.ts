/**
 * The standard OpenTelemetry variables, each tried as an operator would: the
 * app started with it, its effect checked on a real scrape or at a real OTLP
 * receiver (protobuf decoded with the OTLP schema, JSON, gRPC). Several
 * variables share a start where they cannot hide each other's effect.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { metricValue, parseMetrics, promtoolCheck } from '../helpers/metrics';
import { type OtlpReceiver, startOtlpReceiver } from '../helpers/otlp-receiver';
import { freePort } from '../helpers/ports';
import { type SpawnedApp, spawnApp, waitForListening } from '../helpers/process';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

async function start(
  t: ExecutionContext,
  env: Record<string, string> | ((receiver: OtlpReceiver) => Record<string, string>),
  receiverOptions: { grpc?: boolean } = {},
): Promise<{ app: SpawnedApp; baseUrl: string; receiver: OtlpReceiver }> {
  const receiver = await startOtlpReceiver(receiverOptions);
  t.teardown(receiver.close);
  const app = spawnApp(['web'], {
    DATABASE_URL: db.url,
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_METRIC_EXPORT_INTERVAL: '300',
    OTEL_BSP_SCHEDULE_DELAY: '100',
    ...(typeof env === 'function' ? env(receiver) : env),
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  return { app, baseUrl: await waitForListening(app), receiver };
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const randomHex = (bytes: number) =>
  [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');

test.serial(
  'resource attributes and detectors, Prometheus host/port, always_off sampler, http/protobuf push',
  async (t) => {
    const prometheusPort = await freePort();
    const { baseUrl, receiver } = await start(t, {
      OTEL_SERVICE_NAME: 'pebbles-matrix',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=staging,team=pebbles',
      OTEL_NODE_RESOURCE_DETECTORS: 'env,serviceinstance',
      OTEL_EXPORTER_PROMETHEUS_HOST: '127.0.0.1',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(prometheusPort),
      OTEL_METRICS_EXPORTER: 'prometheus,otlp',
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER: 'always_off',
    });
    for (let i = 0; i < 3; i++) t.is((await fetch(`${baseUrl}/bookmarks`)).status, 200);

    // The scrape is on OTEL_EXPORTER_PROMETHEUS_PORT, not the app's port.
    t.is((await fetch(`${baseUrl}/metrics`)).status, 404);
    const text = await (await fetch(`http://127.0.0.1:${prometheusPort}/metrics`)).text();
    const [info] = parseMetrics(text).filter((s) => s.name === 'target_info');
    t.like(info?.labels, {
      service_name: 'pebbles-matrix',
      deployment_environment_name: 'staging',
      team: 'pebbles',
      service_version: '0.1.0',
    });
    t.truthy(info?.labels.service_instance_id);
    t.is(info?.labels.host_name, undefined, 'the host detector is not in the list');
    t.is(
      metricValue(text, 'http_server_request_duration_seconds_count', { http_route: '/bookmarks' }),
      3,
    );

    // The push arrives as protobuf (the default protocol), with the same resource.
    await until(
      () => receiver.total('http.server.request.duration', { 'http.route': '/bookmarks' }) === 3,
      'the pushed HTTP histogram',
    );
    t.true(receiver.requestsByEncoding.protobuf > 0);
    t.is(receiver.requestsByEncoding.json, 0);
    t.like(receiver.resources()[0], { 'service.name': 'pebbles-matrix', team: 'pebbles' });
    // host-metrics' missing units are fixed on the push too.
    t.deepEqual([...receiver.units('process.memory.usage')], ['By']);
    t.deepEqual([...receiver.units('process.cpu.utilization')], ['1']);

    // always_off: traces are configured, yet no span is ever sent.
    await new Promise((resolve) => setTimeout(resolve, 800));
    t.deepEqual(receiver.spans, []);
  },
);

test.serial('b3 propagation is adopted; traces and metrics are pushed as http/json', async (t) => {
  const { baseUrl, receiver } = await start(t, {
    OTEL_PROPAGATORS: 'b3',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  });
  const traceId = randomHex(16);
  const parentId = randomHex(8);
  const response = await fetch(`${baseUrl}/bookmarks`, {
    headers: { b3: `${traceId}-${parentId}-1` },
  });
  t.is(response.status, 200);
  await until(
    () => receiver.spans.some((s) => s.kind === 2 && s.traceId === traceId),
    'the server span in the b3 trace',
  );
  const server = receiver.spans.find((s) => s.kind === 2 && s.traceId === traceId)!;
  t.is(server.parentSpanId, parentId, 'the b3 span is the parent');
  t.is(server.name, 'GET /bookmarks');
  t.is(server.scope, '@opentelemetry/instrumentation-http');
  await until(() => receiver.requestsByEncoding.json > 0, 'a JSON metrics push');
  t.is(receiver.requestsByEncoding.protobuf, 0);
  // Without OTEL_METRICS_EXPORTER=prometheus there is no scrape endpoint.
  t.is((await fetch(`${baseUrl}/metrics`)).status, 404);
});

test.serial(
  'grpc pushes metrics and traces; OTEL_NODE_DISABLED_INSTRUMENTATIONS leaves pg out',
  async (t) => {
    const { baseUrl, receiver } = await start(
      t,
      (receiver) => ({
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.grpcEndpoint!,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_METRICS_EXPORTER: 'otlp',
        OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg',
      }),
      { grpc: true },
    );
    t.is((await fetch(`${baseUrl}/bookmarks`)).status, 200);
    await until(
      () => receiver.total('http.server.request.duration', { 'http.route': '/bookmarks' }) >= 1,
      'the HTTP histogram over gRPC',
    );
    await until(() => receiver.spans.some((s) => s.name === 'GET /bookmarks'), 'a span over gRPC');
    t.true(receiver.requestsByEncoding.grpc > 0);
    t.is(receiver.requestsByEncoding.protobuf + receiver.requestsByEncoding.json, 0);
    t.false(
      receiver.spans.some((s) => s.scope === '@opentelemetry/instrumentation-pg'),
      'pg is not instrumented',
    );
    t.is(receiver.total('db.client.operation.duration'), 0);
  },
);

test.serial('unknown values are warnings and the app runs with the rest', async (t) => {
  const { app, baseUrl } = await start(t, {
    OTEL_METRICS_EXPORTER: 'prometheus,carrier-pigeon',
    OTEL_TRACES_EXPORTER: 'otlp,smoke-signals',
    OTEL_PROPAGATORS: 'tracecontext,semaphore',
    OTEL_TRACES_SAMPLER: 'sometimes',
    OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'pigeon/1',
    OTEL_EXPORTER_PROMETHEUS_PORT: 'ninety',
    OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'fs',
  });
  t.is((await fetch(`${baseUrl}/bookmarks`)).status, 200);
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  t.is(
    metricValue(text, 'http_server_request_duration_seconds_count', { http_route: '/bookmarks' }),
    1,
  );
  t.true(promtoolCheck(text).ok);
  const output = app.output();
  for (const pattern of [
    /carrier-pigeon/,
    /smoke-signals/,
    /semaphore/,
    /sometimes/,
    /pigeon\/1/,
    /OTEL_EXPORTER_PROMETHEUS_PORT=\\"ninety\\"[^\n]*ignored/,
    /unknown instrumentation \\"fs\\"/,
  ]) {
    t.regex(output, pattern);
  }
  t.is(app.child.exitCode, null, 'still running');
});

test.serial(
  'an OTEL_METRICS_EXPORTER naming nothing known counts as unset: /metrics stays',
  async (t) => {
    const { app, baseUrl } = await start(t, { OTEL_METRICS_EXPORTER: 'bogus' });
    t.is((await fetch(`${baseUrl}/bookmarks`)).status, 200);
    const scrape = await fetch(`${baseUrl}/metrics`);
    t.is(scrape.status, 200, 'the default exporter, prometheus, serves the scrape');
    t.is(
      metricValue(await scrape.text(), 'http_server_request_duration_seconds_count', {
        http_route: '/bookmarks',
      }),
      1,
    );
    const output = app.output();
    t.regex(output, /OTEL_METRICS_EXPORTER value \\"bogus\\" ignored/);
    t.regex(output, /OTEL_METRICS_EXPORTER names no known exporter: using the default, prometheus/);
    t.notRegex(output, /OTEL_METRICS_EXPORTER=none/);
  },
);

test.serial(
  'OTEL_METRICS_EXPORTER=console and OTEL_TRACES_EXPORTER=zipkin run as the SDK defines them',
  async (t) => {
    // A Zipkin collector of our own: the spans arrive there as Zipkin's JSON.
    const posts: string[] = [];
    const zipkin = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      req.on('end', () => {
        posts.push(body);
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => zipkin.listen(0, '127.0.0.1', resolve));
    t.teardown(() => zipkin.close());
    const { port } = zipkin.address() as AddressInfo;
    const { app, baseUrl } = await start(t, {
      OTEL_METRICS_EXPORTER: 'console',
      OTEL_TRACES_EXPORTER: 'zipkin',
      OTEL_EXPORTER_ZIPKIN_ENDPOINT: `http://127.0.0.1:${port}/api/v2/spans`,
    });
    t.is((await fetch(`${baseUrl}/bookmarks`)).status, 200);
    await until(
      () => posts.some((p) => p.includes('"/bookmarks"')),
      'a Zipkin span for the request',
    );
    const spans = posts.flatMap((p) => JSON.parse(p) as Array<{ name: string; kind?: string }>);
    t.true(spans.some((s) => s.kind === 'SERVER' && s.name.includes('/bookmarks')));
    await until(() => /http\.server\.request\.duration/.test(app.output()), 'metrics printed');
    t.is(
      (await fetch(`${baseUrl}/metrics`)).status,
      404,
      'no Prometheus endpoint without prometheus',
    );
    t.is(app.child.exitCode, null, 'still running');
  },
);
