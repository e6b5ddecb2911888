/**
 * `make bench`: every benchmark, one after the other, each in its own
 * process, then bench/report.ts rewrites docs/benchmarks.md. A benchmark
 * that crashes leaves a failure record (its old figures are not reused);
 * the others still run. Before each, wait (bounded) for the CPUs to go quiet.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/paths';
import { spawnCommand } from './lib/process';
import { waitForQuiet } from './lib/quiet';
import { log, RESULTS_DIR, type RunRecord, readResult, writeResult } from './lib/results';
import { round } from './lib/stats';

interface Bench {
  readonly name: string;
  readonly title: string;
  readonly script: string;
}

const BENCHES: readonly Bench[] = [
  { name: 'http', title: 'HTTP overhead of telemetry', script: 'dist/bench/http/index.js' },
  { name: 'scrape', title: 'Scrape cost (/metrics)', script: 'dist/bench/scrape/index.js' },
  { name: 'jobs', title: 'Job latency (add → start)', script: 'dist/bench/jobs/index.js' },
  {
    name: 'feeds',
    title: 'Feed polling through graphile-worker',
    script: 'dist/bench/feeds/index.js',
  },
  { name: 'import', title: 'Import throughput', script: 'dist/bench/import/index.js' },
  {
    name: 'reader',
    title: 'Reader: unread counts and lists',
    script: 'dist/bench/reader/index.js',
  },
  {
    name: 'counters',
    title: 'Cost of counting writes in the database',
    script: 'dist/bench/counters/index.js',
  },
  {
    name: 'startup',
    title: 'Startup (to the first 200 on /healthz)',
    script: 'dist/bench/startup/index.js',
  },
];

const QUIET_SECONDS = Number(process.env.BENCH_QUIET_WAIT ?? 20);

function selected(): readonly Bench[] {
  const only = process.argv.slice(2);
  return only.length ? BENCHES.filter((b) => only.includes(b.name)) : BENCHES;
}

async function runOne(bench: Bench): Promise<RunRecord['benches'][number]> {
  const busyBefore = await waitForQuiet(QUIET_SECONDS);
  log(`── ${bench.name} (CPUs ${busyBefore} % busy before start)`);
  const file = path.join(RESULTS_DIR, `${bench.name}.json`);
  fs.rmSync(file, { force: true });
  const started = Date.now();
  let exitCode: number | null;
  if (!fs.existsSync(path.join(projectRoot, bench.script))) {
    exitCode = 127;
    writeFailure(bench, started, `${bench.script} does not exist (not built yet?)`);
  } else {
    const child = spawnCommand(process.execPath, [bench.script], { keep: 20_000 });
    child.child.stdout!.pipe(process.stdout);
    child.child.stderr!.pipe(process.stderr);
    exitCode = await child.exited;
    if (exitCode !== 0 || !readResult(bench.name)) {
      writeFailure(bench, started, `exit code ${exitCode}\n${child.output().slice(-4000)}`);
    }
  }
  return {
    name: bench.name,
    exitCode,
    seconds: round((Date.now() - started) / 1000, 1),
    busyBefore,
  };
}

function writeFailure(bench: Bench, started: number, error: string): void {
  const now = new Date();
  writeResult({
    name: bench.name,
    title: bench.title,
    command: `node ${bench.script}`,
    startedAt: new Date(started).toISOString(),
    finishedAt: now.toISOString(),
    seconds: round((now.getTime() - started) / 1000, 1),
    loadAverage: { start: 0, end: 0 },
    method: [],
    figures: [],
    notes: [],
    error,
  });
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const benches: RunRecord['benches'][number][] = [];
  for (const bench of selected()) benches.push(await runOne(bench));
  const finishedAt = new Date();
  // A partial run (`node dist/bench/run-all.js http`) replaces only its own entries.
  const file = path.join(RESULTS_DIR, 'run.json');
  const previous: RunRecord | undefined = fs.existsSync(file)
    ? (JSON.parse(fs.readFileSync(file, 'utf8')) as RunRecord)
    : undefined;
  const ran = new Set(benches.map((b) => b.name));
  const merged = BENCHES.map(
    (b) =>
      benches.find((x) => x.name === b.name) ?? previous?.benches.find((x) => x.name === b.name),
  ).filter((b) => b !== undefined);
  const record: RunRecord = {
    command:
      ran.size === BENCHES.length ? 'make bench' : `make bench (partly: ${[...ran].join(', ')})`,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: round((finishedAt.getTime() - startedAt.getTime()) / 1000, 1),
    benches: merged,
  };
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  log(`all benchmarks: ${record.seconds} s`);
  const report = spawnCommand(process.execPath, ['dist/bench/report.js']);
  report.child.stdout!.pipe(process.stdout);
  report.child.stderr!.pipe(process.stderr);
  const code = await report.exited;
  process.exit(code === 0 && benches.every((b) => b.exitCode === 0) ? 0 : 1);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
