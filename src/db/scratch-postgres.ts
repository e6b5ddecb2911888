/**
 * A throwaway PostgreSQL for tests and benchmarks (`npm test` starts one for
 * the whole run), from the same programs as the app's (postgres-programs.ts).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { letPostgresEnter, postgresUserIds, runsAsRoot, scratchParent } from './cluster-dir';
import { type PostgresServer, spawnPostgres } from './postgres-process';
import { postgresPrograms, runInitdb } from './postgres-programs';

export interface ScratchPostgres {
  /** The `postgres` database, for CREATE DATABASE and friends. */
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** Stops the server, keeping its files (start() brings it back). */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the server and deletes its files. */
  destroy(): Promise<void>;
}

/**
 * A throwaway PostgreSQL for tests and benchmarks: its own data directory and
 * port, durability off (fsync, full-page writes), nothing kept afterwards.
 */
export async function startScratchPostgres(options: {
  readonly port: number;
  readonly parentDir?: string;
  readonly maxConnections?: number;
}): Promise<ScratchPostgres> {
  const ids = await postgresUserIds();
  const base = scratchParent(options.parentDir ?? os.tmpdir(), ids);
  const parent = fs.mkdtempSync(path.join(base, 'pebbling-pg-'));
  if (runsAsRoot()) letPostgresEnter(parent);
  const dataDir = path.join(parent, 'data');
  const programs = await postgresPrograms(ids);
  await runInitdb({ initdb: programs.initdb, dir: dataDir, password: 'postgres', ids });
  const args = [
    ...['-D', dataDir, '-p', String(options.port)],
    ...['-c', 'listen_addresses=127.0.0.1'],
    ...['-c', `max_connections=${options.maxConnections ?? 300}`],
    ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
  ];
  let server: PostgresServer | undefined;
  const start = async () => {
    server = spawnPostgres(programs.postgres, args, { ids, ownProcessGroup: false });
    await server.ready;
  };
  const stop = async () => {
    await server?.stop();
    server = undefined;
  };
  await start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    dataDir,
    stop,
    start,
    async destroy() {
      await stop().catch(() => {});
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}
