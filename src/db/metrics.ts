/**
 * knex's connection pool (tarn) as the OpenTelemetry semantic conventions
 * name it: `db.client.connection.*` (the count: see below). knex keeps its own
 * pool, which no instrumentation sees. (instrumentation-pg reports pg.Pool
 * pools, graphile-worker's, but only for pool activity inside a span, which
 * its polling is not; its series would carry their own pool name.) Per process, so a sum across processes is
 * the number of connections the app holds.
 *
 * Rows written are not counted here: the database counts them itself
 * (migration 009, src/metrics/catalog.ts).
 */
import { createRequire } from 'node:module';
import type { Knex } from 'knex';
import {
  createCounter,
  createObservableUpDownCounter,
  createSecondsHistogram,
} from '../../otel/instruments';

const POOL_NAME = 'knex';

/** What the callbacks read from tarn's public API. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  readonly max: number;
  on(event: 'acquireRequest', handler: (eventId: number) => void): void;
  on(event: 'acquireSuccess', handler: (eventId: number) => void): void;
  on(event: 'acquireFail', handler: (eventId: number, error: Error) => void): void;
}

const pools = new Set<TarnPool>();

/**
 * tarn's TimeoutError, the error an acquire that ran out of time fails with
 * (tarn's public export; it sets no `name`, so only its class tells it from
 * a failed connect or an aborted acquire). Loaded the way knex loads it — from
 * knex's own location — so it is the very class knex's pool throws, whichever
 * copy of tarn that is, without tarn becoming a dependency of ours.
 */
const { TimeoutError: PoolTimeoutError } = createRequire(require.resolve('knex'))('tarn') as {
  TimeoutError: new (...args: never[]) => Error;
};

const each = <T>(read: (pool: TarnPool) => T) => [...pools].map(read);

createObservableUpDownCounter(
  {
    // The current convention's name, db.client.connection.count, becomes
    // db_client_connection_count in Prometheus, which promtool rejects on a
    // gauge (`_count` is a histogram's); this is the convention's former name.
    name: 'db.client.connections.usage',
    description: 'Connections of the knex pool, by state (idle or used).',
    unit: '{connection}',
    labels: ['db.client.connection.pool.name', 'db.client.connection.state'],
  },
  () =>
    each((pool) => [
      { state: 'used', value: pool.numUsed() },
      { state: 'idle', value: pool.numFree() },
    ])
      .flat()
      .map(({ state, value }) => ({
        value,
        attributes: {
          'db.client.connection.pool.name': POOL_NAME,
          'db.client.connection.state': state,
        },
      })),
);

createObservableUpDownCounter(
  {
    name: 'db.client.connection.max',
    description: 'The most connections the knex pool may open.',
    unit: '{connection}',
    labels: ['db.client.connection.pool.name'],
  },
  () =>
    each((pool) => ({
      value: pool.max,
      attributes: { 'db.client.connection.pool.name': POOL_NAME },
    })),
);

createObservableUpDownCounter(
  {
    name: 'db.client.connection.pending_requests',
    description: 'Requests waiting for a connection of the knex pool.',
    unit: '{request}',
    labels: ['db.client.connection.pool.name'],
  },
  () =>
    each((pool) => ({
      value: pool.numPendingAcquires(),
      attributes: { 'db.client.connection.pool.name': POOL_NAME },
    })),
);

const timeouts = createCounter({
  name: 'db.client.connection.timeouts',
  description: 'Requests for a connection of the knex pool that timed out.',
  unit: '{timeout}',
  labels: ['db.client.connection.pool.name'],
  known: [{ 'db.client.connection.pool.name': POOL_NAME }],
});

const waitTime = createSecondsHistogram({
  name: 'db.client.connection.wait_time',
  description: 'Time to obtain a connection from the knex pool.',
  labels: ['db.client.connection.pool.name'],
});

/** Reports the knex pool's connections until the returned function is called. */
export function observeKnexPool(knex: Knex): () => void {
  const pool = knex.client.pool as TarnPool | undefined;
  if (!pool || typeof pool.numUsed !== 'function') return () => {};
  const requested = new Map<number, bigint>();
  const attributes = { 'db.client.connection.pool.name': POOL_NAME };
  pool.on('acquireRequest', (id) => requested.set(id, process.hrtime.bigint()));
  pool.on('acquireSuccess', (id) => {
    const start = requested.get(id);
    requested.delete(id);
    if (start !== undefined) {
      waitTime.record(Number(process.hrtime.bigint() - start) / 1e9, attributes);
    }
  });
  pool.on('acquireFail', (id, error) => {
    requested.delete(id);
    if (error instanceof PoolTimeoutError) timeouts.add(1, attributes);
  });
  pools.add(pool);
  return () => pools.delete(pool);
}
