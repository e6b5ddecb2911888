/**
 * An embedded PostgreSQL kept under DATA_DIR, so `make run` needs no server.
 *
 * Several processes (the app, the CLI, a second web process) may want the same
 * data directory. The first one starts the server and owns it; the others read
 * the port from PostgreSQL's own postmaster.pid and connect to it. Only the
 * owner stops it; a server whose owner died is adopted by the next process.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Logger } from '../logging/logger';
import { clusterDirFor, postgresUserIds } from './cluster-dir';
import {
  adoptPostgres,
  claimOwnership,
  ownerIsAlive,
  type PostgresServer,
  readRunningServer,
  spawnPostgres,
} from './postgres-process';
import { postgresPrograms, runInitdb } from './postgres-programs';

export interface EmbeddedDatabase {
  readonly url: string;
  /** True when this process started the server and must stop it. */
  readonly owned: boolean;
  stop(): Promise<void>;
}

const DEFAULT_PORT = 5433;
const DATABASE = 'pebbling';

export async function startEmbeddedPostgres(
  dataDir: string,
  logger: Logger,
): Promise<EmbeddedDatabase> {
  return await launchEmbeddedPostgres(dataDir, logger).ready;
}

export interface EmbeddedLaunch {
  /**
   * Settles once PostgreSQL runs as a child process (initdb, for a new
   * directory): from then on it works on its own while this process does
   * CPU-bound work such as loading modules.
   */
  readonly launched: Promise<void>;
  readonly ready: Promise<EmbeddedDatabase>;
}

/** startEmbeddedPostgres in two steps, for main.ts to overlap the boot with loading the app. */
export function launchEmbeddedPostgres(dataDir: string, logger: Logger): EmbeddedLaunch {
  let launched!: () => void;
  const launch = new Promise<void>((resolve) => {
    launched = resolve;
  });
  const ready = startServer(dataDir, logger, launched);
  // A failure before the spawn settles `launched` too; `ready` carries the error.
  ready.then(launched, launched);
  return { launched: launch, ready };
}

async function startServer(
  dataDir: string,
  logger: Logger,
  launched: () => void,
): Promise<EmbeddedDatabase> {
  const password = readOrCreatePassword(dataDir);
  const running = readRunningServer(path.join(dataDir, 'postgres'));
  if (running && ownerIsAlive(dataDir)) {
    logger.info(
      { port: running.port },
      'using the embedded PostgreSQL already running on this data directory',
    );
    return { url: urlFor(running.port, password), owned: false, stop: async () => {} };
  }
  if (running) {
    claimOwnership(dataDir);
    logger.info(
      { port: running.port, pid: running.pid },
      'adopting the embedded PostgreSQL left running by a process that ended: it stops with this one',
    );
    return owned(adoptPostgres(running.pid), urlFor(running.port, password), logger);
  }

  const ids = await postgresUserIds();
  const { dir: pgDir, movedFrom } = clusterDirFor(dataDir, ids);
  if (movedFrom) {
    logger.info(
      { dataDir: pgDir, cannotEnter: movedFrom },
      `the postgres user cannot enter ${movedFrom}: the cluster lives in ${pgDir}, linked from DATA_DIR/postgres`,
    );
  }
  const programs = await postgresPrograms(ids);
  if (programs.copiedBecause) {
    logger.info(
      { programs: path.dirname(programs.postgres), cannotEnter: programs.copiedBecause },
      `the postgres user cannot enter ${programs.copiedBecause}: PostgreSQL runs from a copy of its programs in ${path.dirname(path.dirname(programs.postgres))}`,
    );
  }
  const fresh = !fs.existsSync(path.join(pgDir, 'PG_VERSION'));
  // initdb takes a second or more: the caller may load modules meanwhile.
  if (fresh) {
    await runInitdb({
      initdb: programs.initdb,
      dir: pgDir,
      password,
      ids,
      onOutput: (text) => {
        launched();
        logger.debug({ postgres: text.trim() });
      },
    });
  }
  const startOn = (port: number) =>
    spawnPostgres(programs.postgres, ['-D', pgDir, '-p', String(port), ...SERVER_FLAGS], {
      ids,
      logger,
      ownProcessGroup: true,
    });
  let port = DEFAULT_PORT;
  let server = startOn(port);
  claimOwnership(dataDir);
  launched();
  for (let attempt = 1; ; attempt += 1) {
    try {
      await server.ready;
      break;
    } catch (error) {
      // Taken by another program, or by another instance starting at the same
      // moment (a check before starting would race with it): any free port does.
      if (attempt === 3 || !/Address already in use/.test(String(error))) throw error;
      logger.info({ port }, 'port taken: PostgreSQL tries another');
      port = await anyFreePort();
      server = startOn(port);
    }
  }
  if (fresh) await createDatabase(port, password);
  logger.info({ port, dataDir: pgDir, fresh }, 'embedded PostgreSQL started');
  return owned(server, urlFor(port, password), logger);
}

function owned(server: PostgresServer, url: string, logger: Logger): EmbeddedDatabase {
  let stopping: Promise<void> | undefined;
  return {
    url,
    owned: true,
    stop: () => {
      stopping ??= server.stop().then(() => logger.info('embedded PostgreSQL stopped'));
      return stopping;
    },
  };
}

// Server settings for the app's data: durability stays at PostgreSQL's defaults.
const SERVER_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];

async function createDatabase(port: number, password: string): Promise<void> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: urlFor(port, password, 'postgres') });
  await client.connect();
  try {
    await client.query(`create database ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function urlFor(port: number, password: string, database = DATABASE): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

/** The password lives beside the data, readable by its owner only. */
function readOrCreatePassword(dataDir: string): string {
  const file = path.join(dataDir, 'postgres-password');
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    const password = randomBytes(18).toString('base64url');
    fs.writeFileSync(file, `${password}\n`, { mode: 0o600 });
    return password;
  }
}

/** A port nothing listens on now (the OS's pick). */
function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export { type ScratchPostgres, startScratchPostgres } from './scratch-postgres';
