/**
 * Instrument helpers for the domains' metrics.ts files: what one process
 * measures about itself. They never throw into the app (the OTel spec's
 * rule, which prom-client breaks), drop id labels unless METRICS_ID_LABELS is
 * on, start counters at 0 for their known label sets, and give second-shaped
 * buckets to `s` histograms.
 */
import { type Attributes, metrics, type ObservableResult } from '@opentelemetry/api';
import { version } from '../src/version';
import { getTelemetry } from './state';

const METER_NAME = 'pebbling-club';

/** Attributes that identify one user or feed, dropped when METRICS_ID_LABELS=false. */
const ID_ATTRIBUTES = ['user_id', 'feed_id'] as const;

function meter() {
  return metrics.getMeter(METER_NAME, version);
}

function shape(attributes: Attributes | undefined): Attributes | undefined {
  if (!attributes || getTelemetry().options.idLabels) return attributes;
  const copy: Attributes = { ...attributes };
  for (const key of ID_ATTRIBUTES) delete copy[key];
  return copy;
}

function guard(name: string, action: () => void): void {
  try {
    action();
  } catch (error) {
    // The SDK's diag logger is rate-limited; reuse it rather than a second path.
    process.emitWarning(`metric ${name} failed: ${String(error)}`, 'MetricWarning');
  }
}

export interface InstrumentSpec<A extends string> {
  readonly name: string;
  readonly description: string;
  readonly unit?: string;
  /** The attribute keys this instrument takes; the compiler checks each call. */
  readonly labels: readonly A[];
}

export interface CounterSpec<A extends string> extends InstrumentSpec<A> {
  /**
   * Label sets known in advance: each series exists at 0 from the start, so
   * rate() and increase() see the first event (a series born at 1 hides it).
   */
  readonly known?: readonly Record<A, string>[];
}

export interface SafeCounter<A extends string> {
  add(value: number, attributes: Record<A, string | number>): void;
}

export interface SafeHistogram<A extends string> {
  record(value: number, attributes: Record<A, string | number>): void;
}

export function createCounter<A extends string>(spec: CounterSpec<A>): SafeCounter<A> {
  const counter = meter().createCounter(spec.name, {
    description: spec.description,
    unit: spec.unit ?? '',
  });
  const safe: SafeCounter<A> = {
    add(value, attributes) {
      if (!Number.isFinite(value) || value < 0) return;
      guard(spec.name, () => counter.add(value, shape(attributes)));
    },
  };
  for (const attributes of spec.known ?? []) safe.add(0, attributes);
  return safe;
}

export function createSecondsHistogram<A extends string>(
  spec: Omit<InstrumentSpec<A>, 'unit'>,
): SafeHistogram<A> {
  const histogram = meter().createHistogram(spec.name, {
    description: spec.description,
    unit: 's',
    advice: { explicitBucketBoundaries: [...getTelemetry().options.durationBuckets] },
  });
  return {
    record(value, attributes) {
      if (!Number.isFinite(value) || value < 0) return;
      guard(spec.name, () => histogram.record(value, shape(attributes)));
    },
  };
}

export interface Reading<A extends string> {
  readonly value: number;
  readonly attributes: Record<A, string | number>;
}

/**
 * An observable up-down counter (a value that rises and falls, summed across
 * processes: connections in use, say) read at each collection. A `readings`
 * that throws is reported to the SDK, which fails that collection loudly.
 * Only for values each process owns: what describes the shared database goes
 * through src/metrics (one reporter), never through an observable here.
 */
export function createObservableUpDownCounter<A extends string>(
  spec: InstrumentSpec<A>,
  readings: () => readonly Reading<A>[],
): void {
  const counter = meter().createObservableUpDownCounter(spec.name, {
    description: spec.description,
    unit: spec.unit ?? '',
  });
  counter.addCallback((result: ObservableResult) => {
    for (const reading of readings()) result.observe(reading.value, shape(reading.attributes));
  });
}
