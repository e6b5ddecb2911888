/**
 * Load from a second process: the autocannon CLI (its own Node process) with
 * a bounded duration, JSON output parsed into the few numbers we report.
 */
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { spawnCommand } from './process';

export interface LoadOptions {
  readonly url: string;
  readonly seconds: number;
  readonly connections?: number;
  readonly method?: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  /** Request body; `[<id>]` is replaced by a unique id per request. */
  readonly body?: string;
}

export interface LoadResult {
  /** 2xx responses per second over the run. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly seconds: number;
}

interface AutocannonJson {
  readonly latency: { readonly p50: number; readonly p99: number };
  readonly '2xx': number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly duration: number;
}

const CLI = path.join(projectRoot, 'node_modules', 'autocannon', 'autocannon.js');

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const args = [
    CLI,
    '--json',
    '--no-progress',
    '-c',
    String(options.connections ?? 10),
    '-d',
    String(options.seconds),
    '-m',
    options.method ?? 'GET',
  ];
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    args.push('-H', `${name}=${value}`);
  }
  if (options.body !== undefined) {
    args.push('-b', options.body);
    if (options.body.includes('[<id>]')) args.push('-I');
  }
  args.push(options.url);
  const child = spawnCommand(process.execPath, args, { env: { NODE_OPTIONS: '' } });
  const code = await child.exited;
  const text = child.output();
  const line = text
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (code !== 0 || !line)
    throw new Error(`autocannon failed (exit ${code}):\n${text.slice(-2000)}`);
  const json = JSON.parse(line) as AutocannonJson;
  return {
    rps: json['2xx'] / json.duration,
    p50Ms: json.latency.p50,
    p99Ms: json.latency.p99,
    ok: json['2xx'],
    non2xx: json.non2xx,
    errors: json.errors,
    timeouts: json.timeouts,
    seconds: json.duration,
  };
}
