/**
 * The knex pool's metrics (src/db/metrics.ts) against a real pool: a request
 * for a connection that runs out of time counts in
 * db_client_connection_timeouts_total; one that fails because the database
 * cannot be reached does not (that is not a timeout of the pool).
 */
import test from 'ava';
import knexFactory, { type Knex } from 'knex';
import { renderPrometheus } from '../../otel/prometheus';
import { getTelemetry } from '../../otel/state';
import { observeKnexPool } from '../../src/db/metrics';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { metricValue } from '../helpers/metrics';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
});
test.after.always(async () => {
  await db?.close();
});

async function timeouts(): Promise<number> {
  const reader = getTelemetry().pullReader;
  if (!reader) throw new Error('telemetry is not running in the test process');
  const rendered = await renderPrometheus(reader, { scopeLabels: false, targetInfo: false });
  if (!rendered.ok) throw new Error('collection failed');
  return metricValue(rendered.body, 'db_client_connection_timeouts_total', {
    db_client_connection_pool_name: 'knex',
  });
}

function smallPool(connection: string): Knex {
  return knexFactory({
    client: 'pg',
    connection,
    pool: { min: 0, max: 1 },
    acquireConnectionTimeout: 300,
    log: { warn: () => {} }, // knex's own "Acquire connection error" line
  });
}

test.serial('a request that waits out the acquire timeout counts once', async (t) => {
  const knex = smallPool(db.url);
  const unobserve = observeKnexPool(knex);
  t.teardown(async () => {
    unobserve();
    await knex.destroy();
  });
  const before = await timeouts();
  const held = await knex.transaction(); // the pool's only connection
  const error = await knex.raw('select 1').catch((e: unknown) => e);
  await held.rollback();
  t.true(error instanceof knexFactory.KnexTimeoutError, 'knex gave up waiting');
  t.is(await timeouts(), before + 1);
  await knex.raw('select 1');
  t.is(await timeouts(), before + 1, 'a request that gets its connection counts nothing');
});

test.serial('a connection that cannot be made is not a timeout', async (t) => {
  // Port 1 on loopback: refused at once, well inside the acquire timeout.
  const knex = smallPool('postgres://nobody@127.0.0.1:1/none');
  const unobserve = observeKnexPool(knex);
  t.teardown(async () => {
    unobserve();
    await knex.destroy();
  });
  const before = await timeouts();
  const error = await knex.raw('select 1').catch((e: unknown) => e);
  t.regex(String((error as Error).message), /ECONNREFUSED/);
  t.is(await timeouts(), before);
});
