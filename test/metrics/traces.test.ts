/**
 * The upstream instrumentations in both modes. By default no span is
 * recorded, yet the request histogram has its route (from instrumentation-
 * http and -koa, not app code), the request's queries are counted, and a log
 * line written in a request that came with a traceparent carries its ids.
 * With OTEL_TRACES_EXPORTER=otlp a request is one trace (server span named
 * by its route, the Koa router span, its queries; no spans for app.use()
 * layers), its log lines carry its trace_id/span_id, and the job it queued
 * runs in a span linked to it.
 */
import test, { type ExecutionContext } from 'ava';
import { api } from '../helpers/client';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { type OtlpReceiver, type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver';
import { type SpawnedApp, spawnApp, waitForListening } from '../helpers/process';

const SERVER = 2;
const CONSUMER = 5;

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

async function start(
  t: ExecutionContext,
  mode: 'web' | 'all',
  env: Record<string, string>,
): Promise<{ app: SpawnedApp; baseUrl: string; receiver: OtlpReceiver }> {
  const receiver = await startOtlpReceiver();
  t.teardown(receiver.close);
  const app = spawnApp([mode], {
    DATABASE_URL: db.url,
    WORKER_METRICS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_BSP_SCHEDULE_DELAY: '100',
    METRICS_SCOPE_LABELS: 'true',
    ...env,
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  return { app, baseUrl: await waitForListening(app), receiver };
}

async function until<T>(find: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface LogLine {
  readonly msg: string;
  readonly path?: string;
  readonly method?: string;
  readonly trace_id?: string;
  readonly span_id?: string;
}

function requestLines(app: SpawnedApp, method: string, path: string): LogLine[] {
  return app
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine)
    .filter((l) => l.msg === 'request' && l.method === method && l.path === path);
}

test.serial(
  'default: no spans, the route and the queries are measured by the instrumentations, logs follow a traceparent',
  async (t) => {
    const { app, baseUrl, receiver } = await start(t, 'web', {});
    const user = await aUser();
    const created = await api(baseUrl, 'POST', '/api/v1/bookmarks', await aToken(user.id), {
      url: 'https://example.com/traces/default',
    });
    t.is(created.status, 201);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const listed = await fetch(`${baseUrl}/bookmarks`, {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    t.is(listed.status, 200);
    const body = await (await fetch(`${baseUrl}/metrics`)).text();
    t.regex(
      body,
      /http_server_request_duration_seconds_count\{[^}]*http_route="\/api\/v1\/bookmarks"[^}]*otel_scope_name="@opentelemetry\/instrumentation-http"[^}]*\} 1\b/,
    );
    t.regex(
      body,
      /db_client_operation_duration_seconds_count\{[^}]*db_operation_name="INSERT"[^}]*otel_scope_name="@opentelemetry\/instrumentation-pg"[^}]*\} [1-9]/,
    );
    // No tracer provider: the upstream trace id is kept in the request's
    // context (so in its log line), but nothing is recorded or sent.
    const [line] = requestLines(app, 'GET', '/bookmarks');
    t.is(line?.trace_id, traceId);
    t.is(requestLines(app, 'POST', '/api/v1/bookmarks')[0]?.trace_id, undefined);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    t.deepEqual(receiver.spans, []);
  },
);

test.serial(
  'traced: a request is one trace, its logs carry its ids, and its job is linked to it',
  async (t) => {
    const { app, baseUrl, receiver } = await start(t, 'all', { OTEL_TRACES_EXPORTER: 'otlp' });
    const user = await aUser();
    const created = await api(baseUrl, 'POST', '/api/v1/bookmarks', await aToken(user.id), {
      url: 'https://example.com/traces/traced',
    });
    t.is(created.status, 201);

    const server = await until(
      () =>
        receiver.spans.find(
          (s) => s.kind === SERVER && s.attributes['http.route'] === '/api/v1/bookmarks',
        ),
      'the server span of the POST',
    );
    t.is(server.name, 'POST /api/v1/bookmarks');
    // The job the request queued (unfurl_bookmark) runs in its own trace, linked to this one.
    // (The database is shared with the first test, whose unfurl job, queued
    // without a trace, this worker runs too: hence the search by link.)
    const job = await until(
      () =>
        receiver.spans.find(
          (s) =>
            s.kind === CONSUMER &&
            s.name === 'process unfurl_bookmark' &&
            s.links.some((l) => l.traceId === server.traceId),
        ),
      'the unfurl job span linked to the request',
    );
    t.not(job.traceId, server.traceId);
    t.is(job.parentSpanId, undefined);
    t.is(job.attributes['messaging.destination.name'], 'unfurl_bookmark');

    await new Promise((resolve) => setTimeout(resolve, 500));
    const trace = receiver.spans.filter((s) => s.traceId === server.traceId);
    const ids = new Set(trace.map((s) => s.spanId));
    const routers = trace.filter((s) => s.attributes['koa.type'] === 'router');
    t.true(
      routers.some((s) => s.parentSpanId === server.spanId),
      'a Koa router span',
    );
    t.false(
      trace.some((s) => s.attributes['koa.type'] === 'middleware'),
      'no spans for app.use() middleware layers',
    );
    const queries = trace.filter(
      (s: ReceivedSpan) => s.attributes['db.system.name'] === 'postgresql',
    );
    t.true(
      queries.some((q) =>
        (q.attributes['db.query.text'] ?? '').startsWith('insert into "bookmarks"'),
      ),
    );
    t.true(queries.every((q) => q.parentSpanId !== undefined && ids.has(q.parentSpanId)));
    // The job's queries are in the job's trace.
    t.true(
      receiver.spans.some(
        (s) => s.traceId === job.traceId && s.attributes['db.system.name'] === 'postgresql',
      ),
    );

    const [line] = requestLines(app, 'POST', '/api/v1/bookmarks');
    t.is(line?.trace_id, server.traceId, 'the request log line carries the trace id');
    t.true(line?.span_id !== undefined && ids.has(line.span_id));
  },
);
