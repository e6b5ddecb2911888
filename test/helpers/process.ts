import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

export interface SpawnedApp {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code once the process has exited. */
  exited: Promise<number | null>;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** The app as `npm start` runs it, without the build step: a real separate process. */
export function spawnApp(args: string[], env: Record<string, string | undefined>): SpawnedApp {
  const child = spawn(
    process.execPath,
    ['--require', './dist/otel/register.js', path.join('dist', 'src', 'main.js'), ...args],
    {
      cwd: projectRoot,
      // PORT=0: the kernel picks a free port and the app logs it (waitForListening).
      env: { ...process.env, LOG_LEVEL: 'info', PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let text = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => text,
    exited,
    waitFor(pattern, timeoutMs = 60_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(text);
          if (match) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(match[0]);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`timed out waiting for ${pattern}; output so far:\n${text.slice(-3000)}`),
          );
        }, timeoutMs);
        listeners.add(check);
        void exited.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            reject(new Error(`process exited before ${pattern}; output:\n${text.slice(-3000)}`));
          }
        });
        check();
      });
    },
  };
}

/** The port from the "web server listening" log line. */
export async function waitForListening(
  app: SpawnedApp,
  what = 'web server listening',
): Promise<string> {
  const line = await app.waitFor(new RegExp(`"url":"(http://[^"]+)"[^\\n]*"msg":"${what}"`));
  return /"url":"(http:\/\/[^"]+?)\/?(?:\/metrics)?"/.exec(line)![1]!;
}

/** The running PostgreSQL processes whose command line names `dir` (their data directory). */
export function postgresProcessesFor(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', 'postgres'], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.includes(dir));
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
