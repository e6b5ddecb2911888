/**
 * HTTP cost of telemetry: three servers of the same app (web process), each on
 * its own identical database, under the same load from autocannon in a second
 * process: telemetry off (OTEL_SDK_DISABLED=true), this project's telemetry
 * (dist/otel/register.js, default configuration), and the stock set-up of the
 * OpenTelemetry getting-started guide (bench/http/stock-preload.ts). Runs
 * rotate the order (project, off, stock; off, stock, project; …) and medians
 * are compared. A missed target gets a CPU profile of the project's server.
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

const STOCK_PRELOAD = './dist/bench/http/stock-preload.js';
const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
const CONNECTIONS = 10;
const LIST_SIZE = 50;

type Mode = 'project' | 'off' | 'stock';
const MODES: readonly Mode[] = ['project', 'off', 'stock'];
const MODE_LABEL: Record<Mode, string> = {
  project: "this project's telemetry",
  off: 'OTEL_SDK_DISABLED=true',
  stock: 'stock NodeSDK + getNodeAutoInstrumentations()',
};

interface Server {
  readonly mode: Mode;
  readonly child: Child;
  readonly baseUrl: string;
  /** Where its Prometheus exposition is. */
  readonly metricsUrl: string;
  readonly token: string;
}

interface Scenario {
  readonly id: string;
  readonly label: string;
  /** Minimum throughput of the project's server against telemetry off. */
  readonly target: number;
  /** Minimum throughput of the project's server against the stock set-up. */
  readonly stockTarget?: number;
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
    // Issue #13: within 0.05 of the ratio measured before the upstream
    // instrumentations replaced the hand-written ones (about 0.84).
    target: 0.79,
    stockTarget: 1.1,
    route: '/bookmarks',
    request: (s) => ({ url: `${s.baseUrl}/bookmarks?limit=${LIST_SIZE}` }),
  },
  {
    id: 'create',
    label: 'POST /api/v1/bookmarks (bearer token, new URL each)',
    target: 0.79,
    stockTarget: 1.1,
    route: '/api/v1/bookmarks',
    request: (s) => ({
      url: `${s.baseUrl}/api/v1/bookmarks`,
      method: 'POST',
      headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' },
      body: bookmarkBody('[<id>]'),
    }),
  },
];

function serverEnv(
  mode: Mode,
  databaseUrl: string,
  port: number,
  dataDir: string,
  prometheusPort: number,
) {
  return {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    SECRET_KEY: 'bench-secret-key-bench-secret-key-0123456789',
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: mode === 'off' ? 'true' : 'false',
    METRICS_PORT: undefined,
    // The stock server's exporters match the project's defaults: a Prometheus
    // pull reader (on its own port: the stock exporter serves itself), no
    // traces, no logs. The project's server reads none of these.
    OTEL_METRICS_EXPORTER: mode === 'stock' ? 'prometheus' : undefined,
    OTEL_EXPORTER_PROMETHEUS_PORT: mode === 'stock' ? String(prometheusPort) : undefined,
    OTEL_TRACES_EXPORTER: mode === 'stock' ? 'none' : undefined,
    OTEL_LOGS_EXPORTER: mode === 'stock' ? 'none' : undefined,
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
  const prometheusPort = await freePort();
  const child = spawnApp('web', {
    env: serverEnv(mode, databaseUrl, port, dataDir, prometheusPort),
    nodeArgs: mode === 'stock' ? [...nodeArgs, '--require', STOCK_PRELOAD] : nodeArgs,
    telemetry: mode !== 'stock',
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntilUp(baseUrl, child);
  const metricsUrl =
    mode === 'stock' ? `http://127.0.0.1:${prometheusPort}/metrics` : `${baseUrl}/metrics`;
  return { mode, child, baseUrl, metricsUrl, token };
}

async function waitUntilUp(baseUrl: string, child: Child): Promise<void> {
  // Generous: a start on a busy shared machine can take tens of seconds.
  const deadline = Date.now() + 120_000;
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

/** The stock exporter adds no unit suffix: its histogram is http_server_request_duration. */
async function checkTelemetry(server: Server): Promise<void> {
  const response = await fetch(server.metricsUrl).catch(() => undefined);
  const body = (await response?.text()) ?? '';
  const instrumented =
    /^http_server_request_duration(_seconds)?_bucket\{[^}]*http_route="\/bookmarks"/m.test(body);
  if (server.mode !== 'off' && !instrumented) {
    throw new Error(`${server.mode} server exports no HTTP metrics:\n${body.slice(0, 500)}`);
  }
  if (server.mode === 'off' && response?.status === 200 && instrumented) {
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

/** Rotations of the three modes: each runs first, second and third equally often. */
function order(rounds: number): Mode[] {
  const modes: Mode[] = [];
  for (let i = 0; i < rounds; i++) {
    for (let k = 0; k < MODES.length; k++) modes.push(MODES[(i + k) % MODES.length]!);
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
  for (const mode of ['project', 'stock'] as const) {
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
      `CPU profile of ${scenario.label}, ${MODE_LABEL[mode]}, ${SECONDS} s of load after warm-up (${path.relative(projectRoot, file)}):`,
      ...formatProfile(summary),
    );
  }
  return notes;
}

async function main(): Promise<void> {
  const rec = new Recorder('http', 'HTTP cost of telemetry', 'npm run bench:http');
  const pg = await startBenchPostgres();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-bench-http-'));
  const servers: Partial<Record<Mode, Server>> = {};
  const databases = {} as Record<Mode, string>;
  const tokens = {} as Record<Mode, string>;
  try {
    for (const mode of MODES) {
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
      for (const mode of MODES) await load(servers[mode]!, scenario, WARM_SECONDS);
      const runs: Record<Mode, Run[]> = { project: [], off: [], stock: [] };
      for (const mode of order(ROUNDS)) {
        const r = await load(servers[mode]!, scenario, SECONDS);
        runs[mode].push(r);
        log(
          `${scenario.id} ${mode}: ${round(r.rps)} req/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, server CPU ${round(r.cpuMsPerRequest, 3)} ms/request`,
        );
      }
      results[scenario.id] = runs;
    }
    for (const mode of MODES) await servers[mode]!.child.stop();

    rec.method.push(
      "Servers: the app as `npm start` runs it (`node --require ./dist/otel/register.js dist/src/main.js web`), web process only (no worker, so queued unfurl jobs do not fetch anything), LOG_LEVEL=warn (no per-request log lines, so the comparison is telemetry alone). Three of them: this project's telemetry in its default configuration (NodeSDK; instrumentation-http, -koa router layers only, -pg with requireParentSpan, -undici, -runtime-node, -host-metrics, -pino; Prometheus pull reader; no trace exporter, so no tracer provider); OTEL_SDK_DISABLED=true; and the stock set-up of OpenTelemetry's getting-started guide for Node.js — `new NodeSDK({ instrumentations: [getNodeAutoInstrumentations()] })` from @opentelemetry/auto-instrumentations-node at its defaults, preloaded instead of otel/register.js (bench/http/stock-preload.ts) — with exporters matching the project's defaults (OTEL_METRICS_EXPORTER=prometheus on its own port, OTEL_TRACES_EXPORTER=none, OTEL_LOGS_EXPORTER=none), so that only the instrumentation set-up differs.",
      'Each server has its own database, seeded identically (user and token through the CLI, 50 public bookmarks through the API).',
      `Load: autocannon in a separate process, ${CONNECTIONS} connections, ${WARM_SECONDS} s warm-up per server and scenario, then ${ROUNDS * MODES.length} runs of ${SECONDS} s in rotation (${order(ROUNDS).join(', ')}); figures are medians of the runs. Requests/s counts 2xx answers only (any non-2xx fails the bench). /metrics is not scraped during the runs.`,
      POSTGRES_NOTE,
    );
    const missed: Scenario[] = [];
    for (const scenario of SCENARIOS) {
      const runs = results[scenario.id]!;
      const rps = (mode: Mode) => median(runs[mode].map((r) => r.rps));
      const p99 = (mode: Mode) => median(runs[mode].map((r) => r.p99Ms));
      const cpu = (mode: Mode) => median(runs[mode].map((r) => r.cpuMsPerRequest));
      const perRun = MODES.map(
        (m) => `${m}: ${runs[m].map((r) => round(r.rps, 0)).join(', ')}`,
      ).join('; ');
      const f = rec.add({
        id: `http.${scenario.id}.rps`,
        label: `${scenario.label}: requests/s`,
        unit: 'req/s',
        value: rps('project'),
        baseline: { label: MODE_LABEL.off, value: rps('off') },
        target: { on: 'ratio', op: '>=', threshold: scenario.target },
        detail: `runs ${perRun}`,
      });
      if (f.met === false) missed.push(scenario);
      const g = rec.add({
        id: `http.${scenario.id}.rps-stock`,
        label: `${scenario.label}: requests/s against the stock set-up`,
        unit: 'req/s',
        value: rps('project'),
        baseline: { label: MODE_LABEL.stock, value: rps('stock') },
        ...(scenario.stockTarget !== undefined
          ? { target: { on: 'ratio', op: '>=', threshold: scenario.stockTarget } as const }
          : {}),
      });
      if (g.met === false && !missed.includes(scenario)) missed.push(scenario);
      rec.add({
        id: `http.${scenario.id}.p99`,
        label: `${scenario.label}: p99 latency`,
        unit: 'ms',
        value: p99('project'),
        baseline: { label: MODE_LABEL.off, value: p99('off') },
        detail: `stock: ${p99('stock')} ms`,
      });
      rec.add({
        id: `http.${scenario.id}.cpu`,
        label: `${scenario.label}: server CPU per request`,
        unit: 'ms',
        value: cpu('project'),
        baseline: { label: MODE_LABEL.off, value: cpu('off') },
        detail: `stock: ${round(cpu('stock'), 3)} ms; web process only (PostgreSQL not counted); the inverse of a CPU ratio is the throughput ratio a CPU-bound server would show`,
      });
    }
    // BENCH_HTTP_PROFILE=all profiles every scenario, not only the missed ones.
    const profiled = process.env.BENCH_HTTP_PROFILE === 'all' ? [...SCENARIOS] : missed;
    if (profiled.length > 0) {
      log(`missed: ${missed.map((m) => m.id).join(', ') || 'none'}; profiling`);
      for (const scenario of profiled) {
        const notes = await profileScenario(scenario, databases, tokens, dataDir).catch(
          (error: unknown) => [`(profiling ${scenario.id} failed: ${String(error).slice(0, 300)})`],
        );
        rec.notes.push(...notes);
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
