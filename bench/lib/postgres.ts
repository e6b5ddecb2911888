/**
 * One PostgreSQL per bench run: the server at DATABASE_URL when set, else an
 * embedded one in a temporary directory, with durability off (fsync,
 * synchronous_commit, full_page_writes) like the test runner. That favours
 * write-heavy figures a little compared with a default server; the report
 * says so. Each scenario gets its own migrated database.
 */
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createKnex } from '../../src/db/connection';
import { startScratchPostgres } from '../../src/db/embedded';
import { migrateAll } from '../../src/db/migrate';
import { freePort } from './ports';

export interface BenchPostgres {
  readonly adminUrl: string;
  readonly embedded: boolean;
  /** Creates (or recreates) a database and applies the app's migrations. */
  createDatabase(name: string, options?: { migrate?: boolean }): Promise<string>;
  /** The postmaster's pid (embedded server only), for CPU accounting. */
  pid(): number | undefined;
  stop(): Promise<void>;
}

export const POSTGRES_NOTE =
  'PostgreSQL: embedded PostgreSQL 18 started for the run, fsync=off, synchronous_commit=off, ' +
  'full_page_writes=off (unless DATABASE_URL points at a server).';

export async function startBenchPostgres(): Promise<BenchPostgres> {
  const external = process.env.DATABASE_URL;
  if (external) {
    return {
      adminUrl: external,
      embedded: false,
      createDatabase: create(external),
      pid: () => undefined,
      stop: async () => {},
    };
  }
  const server = await startScratchPostgres({ port: await freePort() });
  return {
    adminUrl: server.adminUrl,
    embedded: true,
    createDatabase: create(server.adminUrl),
    pid: () => {
      try {
        const first = fs
          .readFileSync(path.join(server.dataDir, 'postmaster.pid'), 'utf8')
          .split('\n')[0];
        return Number(first) || undefined;
      } catch {
        return undefined;
      }
    },
    stop: () => server.destroy(),
  };
}

function create(adminUrl: string) {
  return async (name: string, options: { migrate?: boolean } = {}): Promise<string> => {
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = withDatabase(adminUrl, name);
    if (options.migrate !== false) {
      const knex = createKnex(url);
      try {
        await migrateAll({ url, knex });
      } finally {
        await knex.destroy();
      }
    }
    return url;
  };
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
