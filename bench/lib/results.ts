/**
 * The result file each benchmark leaves in .bench-results/<name>.json, which
 * bench/report.ts turns into docs/benchmarks.md. A figure carries its own
 * baseline and target, so the report needs no knowledge of any benchmark.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../../src/paths';
import { otherLoadMeter } from './cpu';
import { round } from './stats';

export const RESULTS_DIR = path.join(projectRoot, '.bench-results');

export interface Target {
  /** What the target applies to: the figure itself or its ratio to the baseline. */
  readonly on: 'value' | 'ratio';
  readonly op: '>=' | '<=' | '<';
  readonly threshold: number;
}

export interface Figure {
  readonly id: string;
  readonly label: string;
  readonly unit: string;
  readonly value: number;
  readonly baseline?: { readonly label: string; readonly value: number };
  /** value / baseline.value */
  readonly ratio?: number;
  readonly target?: Target;
  readonly met?: boolean;
  /** Secondary numbers shown beside the figure (p99, sizes…). */
  readonly detail?: string;
}

export interface BenchResult {
  readonly name: string;
  readonly title: string;
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly loadAverage: { readonly start: number; readonly end: number };
  /** Share of all CPUs used by other processes while it ran (0–100). */
  readonly otherLoadPercent?: number;
  /** How it was measured: one line each, copied into the report. */
  readonly method: readonly string[];
  readonly figures: readonly Figure[];
  /** Findings (profiles, where the time goes), copied into the report. */
  readonly notes: readonly string[];
  readonly raw?: unknown;
  /** Set when the benchmark crashed: the figures are missing. */
  readonly error?: string;
}

/** What bench/run-all.ts records about one `make bench` run. */
export interface RunRecord {
  readonly command: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly seconds: number;
  readonly benches: ReadonlyArray<{
    readonly name: string;
    readonly exitCode: number | null;
    readonly seconds: number;
    /** CPU busy % just before it started (other work on the machine). */
    readonly busyBefore: number;
  }>;
}

export function readResult(name: string): BenchResult | undefined {
  try {
    return JSON.parse(
      fs.readFileSync(path.join(RESULTS_DIR, `${name}.json`), 'utf8'),
    ) as BenchResult;
  } catch {
    return undefined;
  }
}

export function writeResult(result: BenchResult): void {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  fs.writeFileSync(
    path.join(RESULTS_DIR, `${result.name}.json`),
    `${JSON.stringify(result, null, 2)}\n`,
  );
}

export function figure(input: {
  id: string;
  label: string;
  unit: string;
  value: number;
  baseline?: { label: string; value: number };
  target?: Target;
  detail?: string;
}): Figure {
  const ratio =
    input.baseline && input.baseline.value !== 0
      ? round(input.value / input.baseline.value, 3)
      : undefined;
  const checked = input.target?.on === 'ratio' ? ratio : input.value;
  const met = input.target && checked !== undefined ? compare(checked, input.target) : undefined;
  return { ...input, value: round(input.value, Math.abs(input.value) < 1 ? 3 : 2), ratio, met };
}

function compare(value: number, target: Target): boolean {
  if (target.op === '>=') return value >= target.threshold;
  if (target.op === '<=') return value <= target.threshold;
  return value < target.threshold;
}

export function describeTarget(target: Target, unit: string): string {
  const op = target.op === '>=' ? '≥' : target.op === '<=' ? '≤' : '<';
  return target.on === 'ratio'
    ? `ratio ${op} ${target.threshold}`
    : `${op} ${target.threshold} ${unit}`;
}

/** Collects the pieces of one run and writes the result file. */
export class Recorder {
  private readonly started = new Date();
  private readonly loadStart = os.loadavg()[0]!;
  private readonly otherLoad = otherLoadMeter();
  readonly method: string[] = [];
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];
  raw: Record<string, unknown> = {};

  constructor(
    readonly name: string,
    readonly title: string,
    readonly command: string,
  ) {}

  add(input: Parameters<typeof figure>[0]): Figure {
    const f = figure(input);
    this.figures.push(f);
    const base = f.baseline ? `  baseline ${round(f.baseline.value)} (${f.baseline.label})` : '';
    const ratio = f.ratio !== undefined ? `  ratio ${f.ratio}` : '';
    const target = f.target
      ? `  target ${describeTarget(f.target, f.unit)}: ${f.met ? 'met' : 'MISSED'}`
      : '';
    const detail = f.detail ? `  [${f.detail}]` : '';
    log(`${f.label}: ${f.value} ${f.unit}${base}${ratio}${target}${detail}`);
    return f;
  }

  write(): BenchResult {
    const finished = new Date();
    const result: BenchResult = {
      name: this.name,
      title: this.title,
      command: this.command,
      startedAt: this.started.toISOString(),
      finishedAt: finished.toISOString(),
      seconds: round((finished.getTime() - this.started.getTime()) / 1000, 1),
      loadAverage: { start: round(this.loadStart), end: round(os.loadavg()[0]!) },
      otherLoadPercent: this.otherLoad(),
      method: this.method,
      figures: this.figures,
      notes: this.notes,
      raw: this.raw,
    };
    writeResult(result);
    log(
      `wrote .bench-results/${this.name}.json (${result.seconds} s; other processes used ${result.otherLoadPercent} % of the CPUs meanwhile)`,
    );
    return result;
  }
}

export function log(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}

/** The standard ending of a bench script: exit non-zero on a crash, not on a missed target. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`benchmark failed: ${(error as Error)?.stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
