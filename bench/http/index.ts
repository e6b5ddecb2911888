/**
 * HTTP overhead of telemetry: the same app (web process) with telemetry on
 * and with OTEL_SDK_DISABLED=true, each on its own identical database, under
 * the same load from autocannon in a second process. Runs alternate on/off
 * (on, off, off, on, …) and the medians are compared. A missed target gets
 * a CPU profile of both servers under that load.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { cpuMsOf } from '../lib/cpu';
import { type LoadOptions, type LoadResult, runLoad } from '../lib/load';
import { freePort } from '../lib/ports';
import { POSTGRES_NOTE, startBenchPostgres } from '../lib/postgres';
import { type Child, spawnApp } from '../lib/process';
import {
  formatProfile,
  monotonicUs,
  newestProfile,
  type ProfileWindow,
  summarizeProfile,
} from '../lib/profile';
import { log, RESULTS_DIR, Recorder, runBench } from '../lib/results';
import { median, round } from '../lib/stats';
import { bookmarkBody, createBookmarks, createUserAndToken } from './seed';

const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const PAIRS = Number(process.env.BENCH_HTTP_PAIRS ?? 3);
const CONNECTIONS = 10;
const LIST_SIZE = 50;

type Mode = 'on' | 'off';

interface Server {
  readonly mode: Mode;
  readonly child: Child;
  readonly baseUrl: string;
  readonly token: string;
}

interface Scenario {
  readonly id: string;
  readonly label: string;
  readonly target: number;
  /** The http.route label its requests get. */
  readonly route: string;
  request(server: Server): Omit<LoadOptions, 'seconds'>;
}

const SCENARIOS: readonly Scenario[] = [
  {
    id: 'healthz',
    label: 'GET /healthz',
    target: 0.85,
    route: '/healthz',
    request: (s) => ({ url: `${s.baseUrl}/healthz` }),
  },
  {
    id: 'list',
    label: `GET /bookmarks?limit=${LIST_SIZE} (public list, ${LIST_SIZE} bookmarks)`,
    target: 0.95,
    route: '/bookmarks',
    request: (s) => ({ url: `${s.baseUrl}/bookmarks?limit=${LIST_SIZE}` }),
  },
  {
    id: 'create',
    label: 'POST /api/v1/bookmarks (bearer token, new URL each)',
    target: 0.95,
    route: '/api/v1/bookmarks',
    request: (s) => ({
      url: `${s.baseUrl}/api/v1/bookmarks`,
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: bookmarkBody('[<id>]'),
    }),
  },
];

function serverEnv(mode: Mode, databaseUrl: string, port: number, dataDir: string) {
  return {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789',
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: mode === 'off' ? 'true' : 'false',
    METRICS_PORT: undefined,
  };
}

async function startServer(
  mode: Mode,
  databaseUrl: string,
  dataDir: string,
  token: string,
  nodeArgs: string[] = [],
): Promise<Server> {
  const port = await freePort();
  const child = spawnApp('web', { env: serverEnv(mode, databaseUrl, port, dataDir), nodeArgs });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilUp(baseUrl, child);
  return { mode, child, baseUrl, token };
}

async function waitUntilUp(baseUrl: string, child: Child): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (child.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`server did not come up:\n${child.output().slice(-3000)}`);
}

async function checkTelemetry(server: Server): Promise<void> {
  const response = await fetch(`${server.baseUrl}/metrics`);
  const body = await response.text();
  const instrumented = body.includes('http_server_request_duration_seconds_bucket');
  if (server.mode === 'on' && !instrumented) {
    throw new Error(`telemetry-on server exports no HTTP metrics:\n${body.slice(0, 500)}`);
  }
  if (server.mode === 'off' && response.status === 200 && instrumented) {
    throw new Error('telemetry-off server exports HTTP metrics');
  }
}

async function checkList(server: Server): Promise<void> {
  const response = await fetch(`${server.baseUrl}/bookmarks?limit=${LIST_SIZE}`);
  const html = await response.text();
  const shown = html.match(/Bench bookmark \d+:/g)?.length ?? 0;
  if (response.status !== 200 || shown < LIST_SIZE) {
    throw new Error(`the list shows ${shown} bench bookmarks (status ${response.status})`);
  }
}

interface Run extends LoadResult {
  /** Server process CPU time per 2xx response: insensitive to other load on the machine. */
  readonly cpuMsPerRequest: number;
}

async function load(server: Server, scenario: Scenario, seconds: number): Promise<Run> {
  const cpu0 = cpuMsOf(server.child.pid);
  const loadResult = await runLoad({
    ...scenario.request(server),
    seconds,
    connections: CONNECTIONS,
  });
  const result = {
    ...loadResult,
    cpuMsPerRequest: (cpuMsOf(server.child.pid) - cpu0) / Math.max(1, loadResult.ok),
  };
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(
      `${scenario.id} (${server.mode}): ${result.non2xx} non-2xx, ${result.errors} errors`,
    );
  }
  return result;
}

interface Variant {
  readonly name: string;
  readonly mode: Mode;
  readonly nodeArgs: readonly string[];
}

/** Telemetry on with one part switched off by a bench-only preload (see its file). */
const VARIANTS: readonly Variant[] = [
  { name: 'telemetry on', mode: 'on', nodeArgs: [] },
  {
    name: 'on, pg not instrumented',
    mode: 'on',
    nodeArgs: ['--require', './dist/bench/http/no-pg-preload.js'],
  },
  { name: 'OTEL_SDK_DISABLED=true', mode: 'off', nodeArgs: [] },
];
const DIAGNOSIS_ROUNDS = 2;

const WHAT_IS_LEFT =
  'What is left of telemetry per request, with no trace exporter (otel/sdk.ts): no span is recorded; http.server.request.duration is recorded by one Koa middleware (otel/http-server-metrics.ts) that also runs the request in a context holding an unsampled span; each query is timed by otel/pg-metrics.ts for db.client.operation.duration (a bookmark POST makes about a dozen); runtime and host metrics are read when scraped. The variant rows measure what the query timing costs.';
const DIAGNOSIS_SECONDS = 4;

/**
 * For missed targets: one server per variant, each missed scenario run on
 * each in turn, compared by server CPU per request (which other load on the
 * machine disturbs less than throughput). The variants run on the telemetry-
 * on database, so their tables have grown alike.
 */
async function diagnose(
  scenarios: readonly Scenario[],
  databases: Record<Mode, string>,
  tokens: Record<Mode, string>,
  dataDir: string,
): Promise<string[]> {
  const servers: Server[] = [];
  const notes: string[] = [];
  try {
    for (const v of VARIANTS) {
      servers.push(await startServer(v.mode, databases.on, dataDir, tokens.on, [...v.nodeArgs]));
    }
    for (const scenario of scenarios) {
      const cpu: number[][] = VARIANTS.map(() => []);
      for (const server of servers) await load(server, scenario, 2);
      for (let round = 0; round < DIAGNOSIS_ROUNDS; round++) {
        for (let i = 0; i < servers.length; i++) {
          cpu[i]!.push((await load(servers[i]!, scenario, DIAGNOSIS_SECONDS)).cpuMsPerRequest);
        }
      }
      notes.push(
        ...explain(
          scenario,
          cpu.map((c) => Math.min(...c)),
        ),
      );
    }
  } finally {
    for (const server of servers) await server.child.stop();
  }
  return notes;
}

function explain(scenario: Scenario, cpu: number[]): string[] {
  const [on, noPg, off] = cpu as [number, number, number];
  const ms = (v: number) => `${round(v, 3)} ms`;
  const ratio = (v: number) => round(off / v, 2);
  return [
    `Diagnosis of ${scenario.label} — server CPU per request, best of ${DIAGNOSIS_ROUNDS} runs of ${DIAGNOSIS_SECONDS} s: ${VARIANTS.map((v, i) => `${v.name} ${ms(cpu[i]!)} (ratio ${ratio(cpu[i]!)})`).join('; ')}. Telemetry costs ${ms(on - off)} a request here; ${scenario.target} needs at most ${ms(off / scenario.target - off)}. Without pg instrumentation it saves ${ms(on - noPg)}.`,
  ];
}

/** on, off, off, on, on, off…: each mode runs first as often as second. */
function order(pairs: number): Mode[] {
  const modes: Mode[] = [];
  for (let i = 0; i < pairs; i++) {
    modes.push(...((i % 2 === 0 ? ['on', 'off'] : ['off', 'on']) as Mode[]));
  }
  return modes;
}

async function profileScenario(
  scenario: Scenario,
  databases: Record<Mode, string>,
  tokens: Record<Mode, string>,
  dataDir: string,
): Promise<string[]> {
  const notes: string[] = [];
  for (const mode of ['on'] as const) {
    const dir = path.join(RESULTS_DIR, 'profiles', `http-${scenario.id}-${mode}`);
    fs.rmSync(dir, { recursive: true, force: true });
    const server = await startServer(mode, databases[mode], dataDir, tokens[mode], [
      '--cpu-prof',
      `--cpu-prof-dir=${dir}`,
    ]);
    let window: ProfileWindow = {};
    try {
      await load(server, scenario, WARM_SECONDS);
      const fromUs = monotonicUs();
      await load(server, scenario, SECONDS);
      window = { fromUs, toUs: monotonicUs() };
    } finally {
      await server.child.stop();
    }
    const file = newestProfile(dir);
    if (!file) {
      notes.push(`(no profile written for ${mode})`);
      continue;
    }
    const summary = summarizeProfile(file, 40, window);
    notes.push(
      `CPU profile of ${scenario.label}, telemetry ${mode}, ${SECONDS} s of load after warm-up (${path.relative(projectRoot, file)}):`,
      ...formatProfile(summary),
    );
  }
  return notes;
}

async function main(): Promise<void> {
  const rec = new Recorder('http', 'HTTP overhead of telemetry', 'npm run bench:http');
  const pg = await startBenchPostgres();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-bench-http-'));
  const servers: Partial<Record<Mode, Server>> = {};
  const databases = {} as Record<Mode, string>;
  const tokens = {} as Record<Mode, string>;
  try {
    for (const mode of ['on', 'off'] as const) {
      databases[mode] = await pg.createDatabase(`bench_http_${mode}`);
      tokens[mode] = await createUserAndToken(databases[mode]);
      const server = await startServer(mode, databases[mode], dataDir, tokens[mode]);
      servers[mode] = server;
      await createBookmarks(server.baseUrl, server.token, LIST_SIZE);
      await checkList(server);
      await checkTelemetry(server);
    }
    const results: Record<string, Record<Mode, Run[]>> = {};
    for (const scenario of SCENARIOS) {
      for (const mode of ['on', 'off'] as const) await load(servers[mode]!, scenario, WARM_SECONDS);
      const runs: Record<Mode, Run[]> = { on: [], off: [] };
      for (const mode of order(PAIRS)) {
        const r = await load(servers[mode]!, scenario, SECONDS);
        runs[mode].push(r);
        log(
          `${scenario.id} ${mode}: ${round(r.rps)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, server CPU ${round(r.cpuMsPerRequest, 3)} ms/request`,
        );
      }
      results[scenario.id] = runs;
    }
    for (const mode of ['on', 'off'] as const) await servers[mode]!.child.stop();

    rec.method.push(
      'Server: the app as `npm start` runs it (`node --require ./dist/otel/register.js dist/src/main.js web`), web process only (no worker, so queued unfurl jobs do not fetch anything), LOG_LEVEL=warn (no per-request log lines, so the comparison is telemetry alone), default telemetry (Prometheus pull reader; http.server.request.duration from otel/http-server-metrics.ts, db.client.operation.duration from otel/pg-metrics.ts; undici, outgoing-http, runtime and host instrumentations; no trace exporter, so no span is recorded).',
      'Baseline: the same with OTEL_SDK_DISABLED=true. Each server has its own database, seeded identically (user and token through the CLI, 50 public bookmarks through the API).',
      `Load: autocannon in a separate process, ${CONNECTIONS} connections, ${WARM_SECONDS} s warm-up per server and scenario, then ${PAIRS * 2} runs of ${SECONDS} s alternating ${order(PAIRS).join(', ')}; figures are medians of the runs. Requests/s counts 2xx answers only (any non-2xx fails the bench). /metrics is not scraped during the runs.`,
      POSTGRES_NOTE,
    );
    const missed: Scenario[] = [];
    for (const scenario of SCENARIOS) {
      const runs = results[scenario.id]!;
      const rps = (mode: Mode) => median(runs[mode].map((r) => r.rps));
      const p99 = (mode: Mode) => median(runs[mode].map((r) => r.p99Ms));
      const cpu = (mode: Mode) => median(runs[mode].map((r) => r.cpuMsPerRequest));
      const f = rec.add({
        id: `http.${scenario.id}.rps`,
        label: `${scenario.label}: requests/s`,
        unit: 'req/s',
        value: rps('on'),
        baseline: { label: 'OTEL_SDK_DISABLED=true', value: rps('off') },
        target: { on: 'ratio', op: '>=', threshold: scenario.target },
        detail: `runs on: ${runs.on.map((r) => round(r.rps, 0)).join(', ')}; off: ${runs.off.map((r) => round(r.rps, 0)).join(', ')}`,
      });
      rec.add({
        id: `http.${scenario.id}.p99`,
        label: `${scenario.label}: p99 latency`,
        unit: 'ms',
        value: p99('on'),
        baseline: { label: 'OTEL_SDK_DISABLED=true', value: p99('off') },
      });
      rec.add({
        id: `http.${scenario.id}.cpu`,
        label: `${scenario.label}: server CPU per request`,
        unit: 'ms',
        value: cpu('on'),
        baseline: { label: 'OTEL_SDK_DISABLED=true', value: cpu('off') },
        detail:
          'web process only (PostgreSQL not counted); the inverse of its ratio is the throughput ratio a CPU-bound server would show',
      });
      if (f.met === false) missed.push(scenario);
    }
    if (missed.length > 0) {
      log(`missed: ${missed.map((m) => m.id).join(', ')}; diagnosing and profiling`);
      rec.notes.push(...(await diagnose(missed, databases, tokens, dataDir)), WHAT_IS_LEFT);
      for (const scenario of missed) {
        rec.notes.push(...(await profileScenario(scenario, databases, tokens, dataDir)));
      }
    }
    rec.raw = results;
  } finally {
    for (const server of Object.values(servers)) await server?.child.stop();
    await pg.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  rec.write();
}

runBench(main);
