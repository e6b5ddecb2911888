/**
 * From rollup rows to chart series: the time bins of a range, sums and
 * maxima per bin, and percentiles from bucket counts. Pure functions.
 */

export type RangeName = '24h' | '30d';

export interface Range {
  readonly name: RangeName;
  /** metric_rollups resolution read for this range. */
  readonly resolution: 60 | 3600;
  readonly binSeconds: number;
  readonly bins: number;
}

export const RANGES: Readonly<Record<RangeName, Range>> = {
  '24h': { name: '24h', resolution: 60, binSeconds: 15 * 60, bins: 96 },
  '30d': { name: '30d', resolution: 3600, binSeconds: 6 * 3600, bins: 120 },
};

export interface Window {
  readonly range: Range;
  /** Start of each bin; the window is [starts[0], end). */
  readonly starts: readonly Date[];
  readonly end: Date;
}

/** The bins of a range ending with the one that contains `now`. */
export function windowOf(range: Range, now: Date): Window {
  const bin = range.binSeconds * 1000;
  const end = Math.floor(now.getTime() / bin) * bin + bin;
  const start = end - range.bins * bin;
  return {
    range,
    starts: Array.from({ length: range.bins }, (_, i) => new Date(start + i * bin)),
    end: new Date(end),
  };
}

export interface RollupPoint {
  readonly name: string;
  readonly bucket: Date;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

function binOf(window: Window, at: Date): number {
  const index = Math.floor(
    (at.getTime() - window.starts[0]!.getTime()) / (window.range.binSeconds * 1000),
  );
  return index >= 0 && index < window.starts.length ? index : -1;
}

/**
 * One series per value of `label` (or one series when absent), the values
 * added up (counts) or the largest kept (gauges) in each bin.
 */
export function binned(
  window: Window,
  points: readonly RollupPoint[],
  options: {
    readonly name: string;
    readonly label?: string;
    readonly combine?: 'sum' | 'max';
    /** Groups label values into one series (e.g. every failure status into `failed`). */
    readonly group?: (value: string) => string | undefined;
  },
): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const point of points) {
    if (point.name !== options.name) continue;
    const raw = options.label ? (point.labels[options.label] ?? '') : '';
    const key = options.group ? options.group(raw) : raw;
    if (key === undefined) continue;
    const index = binOf(window, point.bucket);
    if (index < 0) continue;
    let values = out.get(key);
    if (!values) {
      values = new Array<number>(window.starts.length).fill(0);
      out.set(key, values);
    }
    values[index] =
      options.combine === 'max'
        ? Math.max(values[index]!, point.value)
        : values[index]! + point.value;
  }
  return out;
}

/**
 * The q-quantile of each bin from `<name>_bucket` counts (each bucket's own
 * count, `le` its upper bound), interpolated linearly inside the bucket as
 * Prometheus's histogram_quantile does; null for a bin without observations.
 */
export function quantiles(
  window: Window,
  points: readonly RollupPoint[],
  name: string,
  q: number,
): (number | null)[] {
  const perBin = binned(window, points, { name: `${name}_bucket`, label: 'le' });
  const bounds = [...perBin.keys()]
    .map((le) => ({ le, bound: le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le) }))
    .sort((a, b) => a.bound - b.bound);
  return window.starts.map((_, i) => {
    const counts = bounds.map(({ le, bound }) => ({ bound, count: perBin.get(le)![i]! }));
    const total = counts.reduce((sum, c) => sum + c.count, 0);
    if (total === 0) return null;
    const rank = q * total;
    let below = 0;
    let lower = 0;
    for (const { bound, count } of counts) {
      if (count > 0 && below + count >= rank) {
        if (!Number.isFinite(bound)) return lower;
        return lower + ((bound - lower) * (rank - below)) / count;
      }
      below += count;
      if (Number.isFinite(bound)) lower = bound;
    }
    return lower;
  });
}

export function total(values: readonly (number | null)[]): number {
  return values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
}
