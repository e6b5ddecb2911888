import { type Sample, sumSamples } from './prometheus-text';

/** One expectation: `metric{labels}` moves by `delta` (exactly, or at least). */
export interface Expectation {
  readonly metric: string;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly delta: number;
  /** Exact for series only the self-test can move; at-least for shared ones. */
  readonly exact: boolean;
}

export interface CheckResult extends Expectation {
  readonly actual: number;
  readonly ok: boolean;
}

export function evaluate(
  expectations: readonly Expectation[],
  before: readonly Sample[],
  after: readonly Sample[],
): CheckResult[] {
  return expectations.map((e) => {
    const actual = sumSamples(after, e.metric, e.labels) - sumSamples(before, e.metric, e.labels);
    const ok = e.exact ? actual === e.delta : actual >= e.delta;
    return { ...e, actual, ok };
  });
}

export function formatTable(results: readonly CheckResult[]): string {
  const rows = results.map((r) => [
    r.ok ? 'ok' : 'MISS',
    `${r.metric}${formatLabels(r.labels)}`,
    `${r.exact ? '' : '≥ '}+${r.delta}`,
    `+${r.actual}`,
  ]);
  const header = ['', 'metric', 'expected', 'moved'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function formatLabels(labels: Readonly<Record<string, string | number>>): string {
  const entries = Object.entries(labels);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${v}"`).join(',')}}`;
}
