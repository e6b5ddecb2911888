/**
 * A gauge whose value is read from the database on a timer, not on every
 * scrape: a scrape costs no query, and a slow database cannot slow /metrics.
 * Whoever owns the timer sets the value (see src/metrics/database-gauges.ts).
 */
import { createObservableGauge, type GaugeReading, type InstrumentSpec } from './instruments';

export interface CachedGauge {
  readonly name: string;
  /** Reads from the source and keeps the result; throws what the read throws. */
  refresh(): Promise<void>;
  /** Reports nothing until the next refresh (this process is not the reporter). */
  clear(): void;
}

export function createCachedGauge<A extends string>(
  spec: InstrumentSpec<A>,
  read: () => Promise<readonly GaugeReading<A>[]>,
): CachedGauge {
  let latest: readonly GaugeReading<A>[] = [];
  createObservableGauge(spec, () => latest);
  return {
    name: spec.name,
    async refresh() {
      latest = await read();
    },
    clear() {
      latest = [];
    },
  };
}
