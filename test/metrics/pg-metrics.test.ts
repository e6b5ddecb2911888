/**
 * instrumentation-pg as configured (requireParentSpan, no trace exporter in
 * this test process): a query is counted in db_client_operation_duration
 * only inside a request or job context, by operation, through pg's callback
 * and promise forms; a failed query made the way knex makes it (callback
 * form) carries its SQLSTATE as error_type.
 */
import { trace } from '@opentelemetry/api';
import test from 'ava';
import pg from 'pg';
import { renderPrometheus } from '../../otel/prometheus';
import { getTelemetry } from '../../otel/state';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { metricValue } from '../helpers/metrics';

let db: TestDatabase;
let client: pg.Client;
test.before(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
});
test.after.always(async () => {
  await client?.end();
  await db?.close();
});

async function count(labels: Record<string, string>): Promise<number> {
  const reader = getTelemetry().pullReader;
  if (!reader) throw new Error('telemetry is not running in the test process');
  const rendered = await renderPrometheus(reader, { scopeLabels: true, targetInfo: false });
  if (!rendered.ok) throw new Error('collection failed');
  return metricValue(rendered.body, 'db_client_operation_duration_seconds_count', {
    db_namespace: client.database ?? '',
    otel_scope_name: '@opentelemetry/instrumentation-pg',
    ...labels,
  });
}

/** What a request or a job does: run inside a context that holds a (non-recording) span. */
function inRequest<T>(fn: () => Promise<T>): Promise<T> {
  return trace.getTracer('pg-metrics-test').startActiveSpan('request', async (span) => {
    try {
      return await fn();
    } finally {
      span.end();
    }
  });
}

test.serial('queries in a request count by operation; queries outside any do not', async (t) => {
  const before = await count({ db_operation_name: 'SELECT' });
  await client.query('select 1');
  t.is(await count({ db_operation_name: 'SELECT' }), before, 'outside a request: not counted');

  await inRequest(async () => {
    await client.query('  select 2;');
    await client.query({ text: 'SELECT $1::int AS n', values: [3] });
    await new Promise<void>((resolve, reject) =>
      client.query('select 4', (error) => (error ? reject(error) : resolve())),
    );
  });
  t.is(await count({ db_operation_name: 'SELECT' }), before + 3);
  t.true(
    (await count({ db_operation_name: 'SELECT', db_system_name: 'postgresql' })) >= 3,
    'semantic-convention labels',
  );
});

test.serial('a failed query in callback form counts with its SQLSTATE as error_type', async (t) => {
  const before = await count({ error_type: '42P01' });
  const viaCallback = await inRequest(
    () =>
      new Promise<Error | null>((resolve) =>
        client.query('select * from no_such_table', (e) => resolve(e)),
      ),
  );
  t.regex(viaCallback?.message ?? '', /no_such_table/, 'the caller still gets the error');
  t.is(await count({ error_type: '42P01' }), before + 1);
});
