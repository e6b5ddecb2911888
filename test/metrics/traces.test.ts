/**
 * Traces are off by default (no spans are recorded, only the duration
 * histograms); with OTEL_TRACES_EXPORTER=otlp a request arrives at the
 * collector as one trace: the HTTP server span named by its route, the Koa
 * router span, and its queries as children. Koa's app.use() middleware layers
 * are deliberately not spans (otel/sdk.ts says why).
 */
import http from 'node:http';
import test, { type ExecutionContext } from 'ava';
import { api } from '../helpers/client';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { freePort } from '../helpers/ports';
import { spawnApp, waitForListening } from '../helpers/process';

interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly attributes: Record<string, unknown>;
}

interface TraceExport {
  resourceSpans: Array<{
    scopeSpans: Array<{
      spans: Array<Omit<ReceivedSpan, 'attributes'> & { attributes?: OtlpAttribute[] }>;
    }>;
  }>;
}
interface OtlpAttribute {
  key: string;
  value: Record<string, unknown>;
}

async function startTraceReceiver() {
  const spans: ReceivedSpan[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') {
        const body = JSON.parse(Buffer.concat(chunks).toString()) as TraceExport;
        for (const rs of body.resourceSpans) {
          for (const ss of rs.scopeSpans) {
            for (const span of ss.spans) {
              const attributes = Object.fromEntries(
                (span.attributes ?? []).map((a) => [a.key, Object.values(a.value)[0]]),
              );
              spans.push({ ...span, attributes });
            }
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    spans,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The same requests in each mode; what the app's /metrics then says of them. */
async function exercise(baseUrl: string, mode: string) {
  const user = await aUser();
  const created = await api(baseUrl, 'POST', '/api/v1/bookmarks', await aToken(user.id), {
    url: `https://example.com/traced/${mode}`,
  });
  const list = await fetch(`${baseUrl}/bookmarks`);
  const missing = await fetch(`${baseUrl}/no-such-page`);
  const body = await (await fetch(`${baseUrl}/metrics`)).text();
  const httpSeries = body
    .split('\n')
    .filter((line) => line.startsWith('http_server_request_duration_seconds_count{'))
    .sort();
  // Label sets only: the two apps' background queries differ in number.
  const dbSeries = [
    ...new Set(
      body
        .split('\n')
        .filter((line) => line.startsWith('db_client_operation_duration_seconds_count{'))
        .map((line) => line.slice(0, line.lastIndexOf(' '))),
    ),
  ].sort();
  return { statuses: [created.status, list.status, missing.status], body, httpSeries, dbSeries };
}

const seriesByMode: Record<string, string[]> = {};
const dbSeriesByMode: Record<string, string[]> = {};

let db: TestDatabase;

/** A trace receiver, and a web process that would send its spans there. */
async function startWeb(t: ExecutionContext, env: Record<string, string>) {
  const receiver = await startTraceReceiver();
  t.teardown(receiver.close);
  const app = spawnApp(['web'], {
    DATABASE_URL: db.url,
    PORT: String(await freePort()),
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    METRICS_SCOPE_LABELS: 'true',
    ...env,
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  return { receiver, baseUrl: await waitForListening(app) };
}

test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

test.serial(
  'with OTEL_TRACES_EXPORTER=otlp a request is one trace: server span, router span, its queries',
  async (t) => {
    const { receiver, baseUrl } = await startWeb(t, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    const { statuses, httpSeries, dbSeries } = await exercise(baseUrl, 'traced');
    t.deepEqual(statuses, [201, 200, 404]);
    seriesByMode.traced = httpSeries;
    dbSeriesByMode.traced = dbSeries;

    const deadline = Date.now() + 20_000;
    let server: ReceivedSpan | undefined;
    while (Date.now() < deadline && !server) {
      server = receiver.spans.find(
        (s) => s.kind === 2 && s.attributes['http.route'] === '/api/v1/bookmarks',
      );
      if (!server) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!server)
      return t.fail(
        `no server span for the POST; got ${receiver.spans.map((s) => s.name).join(', ')}`,
      );
    t.is(server.name, 'POST /api/v1/bookmarks');
    // Give the batch processor a moment for the children that ended just before.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const trace = receiver.spans.filter((s) => s.traceId === server.traceId);
    const ids = new Set(trace.map((s) => s.spanId));
    const routers = trace.filter((s) => s.attributes['koa.type'] === 'router');
    t.true(
      routers.some((s) => s.parentSpanId === server.spanId),
      'a Koa router span under the server span',
    );
    t.true(routers.every((s) => s.attributes['http.route'] === '/api/v1/bookmarks'));
    const queries = trace.filter((s) => s.attributes['db.system.name'] === 'postgresql');
    t.true(
      queries.some((q) =>
        q.attributes['db.query.text']?.toString().startsWith('insert into "bookmarks"'),
      ),
      'the INSERT is in the trace',
    );
    t.true(queries.every((q) => q.parentSpanId !== undefined && ids.has(q.parentSpanId)));
    t.false(
      trace.some((s) => s.attributes['koa.type'] === 'middleware'),
      'no spans for app.use() middleware layers',
    );
  },
);

test.serial(
  'by default no spans are exported, and the request histogram still has its route',
  async (t) => {
    const { receiver, baseUrl } = await startWeb(t, {});
    const { statuses, body, httpSeries, dbSeries } = await exercise(baseUrl, 'default');
    t.deepEqual(statuses, [201, 200, 404]);
    seriesByMode.default = httpSeries;
    dbSeriesByMode.default = dbSeries;
    t.regex(
      body,
      /http_server_request_duration_seconds_count\{[^}]*http_route="\/bookmarks"[^}]*\} 1\b/,
    );
    t.regex(
      body,
      /http_server_request_duration_seconds_count\{[^}]*http_response_status_code="404"[^}]*\} 1\b/,
    );
    // The request's queries are counted, so they ran inside the request's context.
    t.regex(
      body,
      /db_client_operation_duration_seconds_count\{[^}]*db_operation_name="INSERT"[^}]*\} [1-9]/,
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    t.deepEqual(receiver.spans, []);
  },
);

test.serial('the request and query histograms have the same series with traces on and off', (t) => {
  // Traces on: instrumentation-http and -pg record them; off: otel/http-server-metrics.ts and otel/pg-metrics.ts.
  t.truthy(seriesByMode.traced && seriesByMode.default, 'both modes ran');
  t.deepEqual(seriesByMode.default, seriesByMode.traced);
  t.true(
    (dbSeriesByMode.default ?? []).some((line) => line.includes('db_operation_name="INSERT"')),
  );
  t.deepEqual(dbSeriesByMode.default, dbSeriesByMode.traced);
  t.true(
    (seriesByMode.default ?? []).some((line) =>
      line.includes('otel_scope_name="@opentelemetry/instrumentation-http"'),
    ),
  );
});
