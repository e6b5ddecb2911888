import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** `npm run cli -- …` as a separate process (no build step), with `stdin` piped in. */
export function runCli(
  args: readonly string[],
  env: Record<string, string | undefined>,
  stdin = '',
): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join('dist', 'src', 'cli', 'index.js'), ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}
