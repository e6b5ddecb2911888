/**
 * Child processes for benchmarks: the app (as `npm start` runs it, without the
 * build), bench-only servers, and the load generator. Output is kept for
 * waitFor() and for error messages; stop() sends SIGTERM and waits.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

export interface Child {
  readonly child: ChildProcess;
  readonly pid: number;
  output(): string;
  readonly exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnOptions {
  readonly env?: Record<string, string | undefined>;
  /** Extra node flags (--cpu-prof…), placed before the script. */
  readonly nodeArgs?: readonly string[];
  /** Preload the OpenTelemetry bootstrap like `npm start` does (default true). */
  readonly telemetry?: boolean;
  /** Keep at most this many characters of output (default 1 MB). */
  readonly keep?: number;
}

/** Runs a compiled script (path relative to the project root) with this Node. */
export function spawnNode(
  script: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Child {
  const preload = options.telemetry === false ? [] : ['--require', './dist/otel/register.js'];
  return spawnCommand(
    process.execPath,
    [...(options.nodeArgs ?? []), ...preload, script, ...args],
    options,
  );
}

/** The app's entry point, as `npm start` runs it after building. */
export function spawnApp(mode: 'all' | 'web' | 'worker', options: SpawnOptions = {}): Child {
  return spawnNode(path.join('dist', 'src', 'main.js'), [mode], options);
}

export function spawnCommand(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { detached?: boolean } = {},
): Child {
  const child = spawn(command, [...args], {
    cwd: projectRoot,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  const keep = options.keep ?? 1_000_000;
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    if (text.length > keep) text = text.slice(-keep);
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))),
  );
  let done = false;
  void exited.then(() => {
    done = true;
  });
  return {
    child,
    pid: child.pid!,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (!match) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(match);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output:\n${text.slice(-3000)}`));
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (!listeners.has(check)) return;
          listeners.delete(check);
          clearTimeout(timer);
          reject(new Error(`${command} exited before ${pattern}; output:\n${text.slice(-3000)}`));
        });
        check();
      });
    },
    async stop(graceMs = 15_000) {
      if (done) return exited;
      const target = options.detached ? -child.pid! : child.pid!;
      try {
        process.kill(target, 'SIGTERM');
      } catch {
        return exited;
      }
      const timer = setTimeout(() => {
        try {
          process.kill(target, 'SIGKILL');
        } catch {}
      }, graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** The base URL from the app's "web server listening" (or "metrics listening") log line. */
export async function waitForListening(app: Child, what = 'web server listening'): Promise<string> {
  const match = await app.waitFor(new RegExp(`"url":"(http://[^"]+?)/?"[^\\n]*"msg":"${what}"`));
  return match[1]!.replace(/\/metrics$/, '');
}
