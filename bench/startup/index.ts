/**
 * Startup: `make run` to the first 200 on /healthz, with a new DATA_DIR
 * (initdb, create database, migrations) and with an existing one, nothing to
 * rebuild. Baseline: the same start without make (`node --require …
 * dist/src/main.js all`, what `npm start` runs after building; the preload
 * turns on Node's compile cache in both). A breakdown (make, telemetry preload, module loading,
 * PostgreSQL, listening) says where the time goes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../lib/ports';
import { type Child, spawnCommand, spawnNode } from '../lib/process';
import { log, Recorder, runBench } from '../lib/results';
import { median, round, sleep } from '../lib/stats';

const ROUNDS = Number(process.env.BENCH_STARTUP_ROUNDS ?? 3);

/** The Makefile's stamp for an installed node_modules (its DEPS). */
const MAKE_DEPS = 'node_modules/.package-lock.json';
/** …and for a current dist/. */
const MAKE_BUILT = 'dist/.build-stamp';

type Launcher = 'make' | 'node' | 'node-otel-off';

interface Start {
  readonly totalMs: number;
  /** Milliseconds from spawn to each log line that marks a step. */
  readonly pgMs: number;
  readonly listeningMs: number;
}

const MILESTONES = {
  pg: /"msg":"embedded PostgreSQL started"/,
  listening: /"msg":"web server listening"/,
};

function launch(launcher: Launcher, env: Record<string, string | undefined>): Child {
  if (launcher === 'make') {
    // -o: node_modules is installed, never let the bench trigger `npm ci`;
    // dist/ was built before the rounds, and an edit someone makes meanwhile
    // in a shared checkout must not put a build into one round.
    return spawnCommand('make', ['-s', '-o', MAKE_DEPS, '-o', MAKE_BUILT, 'run'], {
      env,
      detached: true,
    });
  }
  return spawnNode(path.join('dist', 'src', 'main.js'), ['all'], {
    env: launcher === 'node-otel-off' ? { ...env, OTEL_SDK_DISABLED: 'true' } : env,
  });
}

function timeOf(child: Child, pattern: RegExp, spawnedAt: number): number {
  const line = child
    .output()
    .split('\n')
    .find((l) => pattern.test(l));
  const iso = line ? /"time":"([^"]+)"/.exec(line)?.[1] : undefined;
  return iso ? new Date(iso).getTime() - spawnedAt : Number.NaN;
}

async function startOnce(launcher: Launcher, dataDir: string): Promise<Start> {
  const port = await freePort();
  const env = {
    DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: undefined,
    METRICS_PORT: undefined,
    OTEL_SDK_DISABLED: undefined,
  };
  const spawnedAt = Date.now();
  const child = launch(launcher, env);
  let totalMs = Number.NaN;
  try {
    const deadline = spawnedAt + 60_000;
    while (Date.now() < deadline) {
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) {
        totalMs = Date.now() - spawnedAt;
        break;
      }
      if (child.child.exitCode !== null) break;
      await sleep(10);
    }
    if (Number.isNaN(totalMs))
      throw new Error(`no 200 on /healthz:\n${child.output().slice(-3000)}`);
    return {
      totalMs,
      pgMs: timeOf(child, MILESTONES.pg, spawnedAt),
      listeningMs: timeOf(child, MILESTONES.listening, spawnedAt),
    };
  } finally {
    await stopApp(child);
  }
}

/** SIGTERM to the app's node process only (npm and make would forward a second one). */
async function stopApp(child: Child): Promise<void> {
  const pid = Number(/"pid":(\d+)/.exec(child.output())?.[1]);
  if (pid && pid !== child.pid) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {}
    const timer = setTimeout(() => void child.stop(1000), 20_000);
    await child.exited;
    clearTimeout(timer);
  } else {
    await child.stop(20_000);
  }
}

async function timeCommand(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<number> {
  const started = Date.now();
  const child = spawnCommand(command, args, { env });
  const code = await child.exited;
  if (code !== 0) throw new Error(`${command} ${args.join(' ')} failed:\n${child.output()}`);
  return Date.now() - started;
}

async function main(): Promise<void> {
  const rec = new Recorder(
    'startup',
    'Startup (to the first 200 on /healthz)',
    'npm run bench:startup',
  );
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-bench-start-'));
  fs.chmodSync(root, 0o711);
  const runs: Record<string, Start[]> = {};
  const note = (key: string, start: Start) => {
    runs[key] = [...(runs[key] ?? []), start];
    log(
      `${key}: ${start.totalMs} ms (PostgreSQL up at ${start.pgMs} ms, listening at ${start.listeningMs} ms)`,
    );
  };
  try {
    // `make run` builds only when a source changed: build once here, so the
    // rounds measure the everyday case (nothing changed since the last build).
    await timeCommand('make', ['-s', '-o', MAKE_DEPS, MAKE_BUILT]);
    for (let round = 0; round < ROUNDS; round++) {
      for (const launcher of ['make', 'node'] as const) {
        const dir = path.join(root, `${launcher}-${round}`);
        note(`${launcher}:fresh`, await startOnce(launcher, dir));
        note(`${launcher}:existing`, await startOnce(launcher, dir));
      }
      note(
        'node-otel-off:existing',
        await startOnce('node-otel-off', path.join(root, `node-${round}`)),
      );
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  const makeCheckMs: number[] = [];
  const nodeMs: number[] = [];
  const preloadMs: number[] = [];
  const loadMs: number[] = [];
  const cachedLoadMs: number[] = [];
  const preload = ['--require', './dist/otel/register.js'];
  // What `make run` loads before PostgreSQL is needed: the preload, then the modules of mode all.
  const loadApp = [
    ...preload,
    '-e',
    "require('./dist/src/runtime/start.js').loadModules('all').then(() => process.exit(0))",
  ];
  const compileCache = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-bench-ncc-'));
  try {
    await timeCommand(process.execPath, loadApp, { NODE_COMPILE_CACHE: compileCache });
    for (let round = 0; round < ROUNDS; round++) {
      // -n: the check alone (parse, find, stat), whatever someone edited meanwhile.
      makeCheckMs.push(await timeCommand('make', ['-s', '-n', '-o', MAKE_DEPS, MAKE_BUILT]));
      nodeMs.push(await timeCommand(process.execPath, ['-e', '0']));
      preloadMs.push(await timeCommand(process.execPath, [...preload, '-e', 'process.exit(0)']));
      loadMs.push(
        await timeCommand(process.execPath, loadApp, { NODE_DISABLE_COMPILE_CACHE: '1' }),
      );
      cachedLoadMs.push(
        await timeCommand(process.execPath, loadApp, { NODE_COMPILE_CACHE: compileCache }),
      );
    }
  } finally {
    fs.rmSync(compileCache, { recursive: true, force: true });
  }
  const med = (key: string, field: keyof Start) => median((runs[key] ?? []).map((s) => s[field]));
  rec.method.push(
    `make = \`make -o ${MAKE_DEPS} -o ${MAKE_BUILT} run\` (node_modules installed and dist/ built once before the rounds: -o keeps make from running npm ci or tsc), i.e. node with the telemetry preload and Node's compile cache, mode all (web + worker), embedded PostgreSQL under a new temporary DATA_DIR, LOG_LEVEL=info.`,
    `Time from spawn to the first 200 on /healthz, polled every 10 ms; ${ROUNDS} rounds, medians. "existing" starts again on the DATA_DIR the fresh start left (PostgreSQL stopped cleanly in between).`,
    'Baseline: `node --require ./dist/otel/register.js dist/src/main.js all` directly (no make; otel/register.js turns on the compile cache in node_modules/.cache itself).',
  );
  rec.add({
    id: 'startup.fresh',
    label: '`make run` → 200, new DATA_DIR',
    unit: 's',
    value: med('make:fresh', 'totalMs') / 1000,
    baseline: {
      label: 'node dist/src/main.js, no build',
      value: med('node:fresh', 'totalMs') / 1000,
    },
    target: { on: 'value', op: '<', threshold: 5 },
    detail: `PostgreSQL up at ${round(med('make:fresh', 'pgMs') / 1000)} s, listening at ${round(med('make:fresh', 'listeningMs') / 1000)} s`,
  });
  rec.add({
    id: 'startup.existing',
    label: '`make run` → 200, existing DATA_DIR',
    unit: 's',
    value: med('make:existing', 'totalMs') / 1000,
    baseline: {
      label: 'node dist/src/main.js, no build',
      value: med('node:existing', 'totalMs') / 1000,
    },
    target: { on: 'value', op: '<', threshold: 2 },
    detail: `PostgreSQL up at ${round(med('make:existing', 'pgMs') / 1000)} s, listening at ${round(med('make:existing', 'listeningMs') / 1000)} s`,
  });
  const load = median(loadMs);
  const preloaded = median(preloadMs);
  const nodeExisting = med('node:existing', 'totalMs');
  const otelOff = med('node-otel-off:existing', 'totalMs');
  rec.notes.push(
    `Where the time goes (existing DATA_DIR, medians): \`make run\` ${med('make:existing', 'totalMs')} ms = make finding nothing to rebuild (${median(makeCheckMs)} ms alone) + the node start with Node's compile cache; the node start without make: ${nodeExisting} ms. In a process that only loads and exits: Node itself ${median(nodeMs)} ms; with the telemetry preload (otel/register.js) ${preloaded} ms; with the preload and the app's modules for mode all ${load} ms without the compile cache (NODE_DISABLE_COMPILE_CACHE=1), ${median(cachedLoadMs)} ms with it warm. The embedded PostgreSQL boots while those modules load; its "started" line comes once they are loaded (${med('node:existing', 'pgMs')} ms), web listening at ${med('node:existing', 'listeningMs')} ms. With OTEL_SDK_DISABLED=true the node start takes ${otelOff} ms (the preload then loads neither NodeSDK nor the instrumentations, and installs no require hooks; the app still loads the OpenTelemetry API and the Prometheus exporter module its /metrics route imports).`,
    `New DATA_DIR: node start ${med('node:fresh', 'totalMs')} ms; initdb runs while the modules load, then PostgreSQL starts and CREATE DATABASE (logged at ${med('node:fresh', 'pgMs')} ms); migrations and listening after that (${med('node:fresh', 'listeningMs')} ms).`,
  );
  if (rec.figures.some((f) => f.met === false)) {
    rec.notes.push(
      `What stands between \`make run\` on an existing DATA_DIR and 2 s: the telemetry preload (${preloaded - median(nodeMs)} ms over bare Node) and the app's modules (${load - preloaded} ms without the compile cache, required through the instrumentations' require hooks).`,
    );
  }
  for (const line of rec.notes) log(line);
  rec.raw = { runs, makeCheckMs, nodeMs, preloadMs, loadMs, cachedLoadMs };
  rec.write();
}

runBench(main);
