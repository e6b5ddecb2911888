import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logging/logger';
import { type EmbeddedDatabase, startEmbeddedPostgres } from './embedded';
import { waitOutOutages } from './wait-out-outages';

// Dates as ISO strings would leak into presenters; keep timestamptz as Date and
// bigint counts (COUNT(*)) as numbers, which they always fit in here.
pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));

export interface Database {
  readonly url: string;
  readonly knex: Knex;
  /** A pg.Pool for graphile-worker, sharing the same server. */
  createPool(max: number): pg.Pool;
  close(): Promise<void>;
}

/**
 * DATABASE_URL when set, else the embedded server under DATA_DIR (`embeddedStarting`:
 * one already being started, see launchEmbeddedPostgres).
 */
export async function openDatabase(
  config: Config,
  logger: Logger,
  embeddedStarting?: Promise<EmbeddedDatabase>,
): Promise<Database> {
  const embedded = config.databaseUrl
    ? undefined
    : await (embeddedStarting ??
        startEmbeddedPostgres(config.dataDir, logger.child({ component: 'postgres' })));
  const url = config.databaseUrl ?? embedded!.url;
  const knex = createKnex(url, 10, { statementTimeoutMs: config.security.statementTimeoutMs });
  Model.knex(knex);
  const pools: pg.Pool[] = [];
  let closing = false;
  // While closing, the server ends sessions on purpose: not worth a warning.
  const warn = (message: string) => (err: Error) => {
    if (!closing) logger.warn({ err }, message);
  };
  return {
    url,
    knex,
    createPool(max) {
      const pool = new pg.Pool({ connectionString: url, max });
      // An idle client's error with no listener would crash the process.
      pool.on('error', warn('idle PostgreSQL client error'));
      pool.on('connect', (client) => {
        client.on('error', warn('PostgreSQL client error'));
      });
      waitOutOutages(pool, {
        isClosing: () => closing,
        onWaiting: warn('PostgreSQL unreachable: waiting for it to come back'),
      });
      pools.push(pool);
      return pool;
    },
    async close() {
      closing = true;
      await Promise.allSettled(pools.map((p) => p.end()));
      await knex.destroy();
      await embedded?.stop();
    },
  };
}

/**
 * `statementTimeoutMs` (DATABASE_STATEMENT_TIMEOUT_MS) bounds every statement
 * on these connections: one expensive request cannot hold a connection (and
 * a backend's CPU and memory) for long. PostgreSQL cancels it with 57014,
 * which the web answers as a 503. Migrations run on connections of their own
 * (migrate.ts), graphile-worker and imports on theirs: no limit there.
 */
export function createKnex(
  url: string,
  poolMax = 10,
  options: { statementTimeoutMs?: number } = {},
): Knex {
  const timeout = options.statementTimeoutMs ?? 0;
  return knexFactory({
    client: 'pg',
    connection: timeout > 0 ? { connectionString: url, statement_timeout: timeout } : url,
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 10_000,
  });
}
