/**
 * Instrument helpers for the domains' metrics.ts files. They never throw into
 * the app (the OTel spec's rule, which prom-client breaks), drop id labels when
 * METRICS_ID_LABELS=false, and give second-shaped buckets to `s` histograms.
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

export interface SafeCounter<A extends string> {
  add(value: number, attributes: Record<A, string | number>): void;
}

export interface SafeHistogram<A extends string> {
  record(value: number, attributes: Record<A, string | number>): void;
}

export function createCounter<A extends string>(spec: InstrumentSpec<A>): SafeCounter<A> {
  const counter = meter().createCounter(spec.name, {
    description: spec.description,
    unit: spec.unit ?? '',
  });
  return {
    add(value, attributes) {
      if (!Number.isFinite(value) || value < 0) return;
      guard(spec.name, () => counter.add(value, shape(attributes)));
    },
  };
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

export interface SafeUpDownCounter<A extends string> {
  add(value: number, attributes: Record<A, string | number>): void;
}

export function createUpDownCounter<A extends string>(
  spec: InstrumentSpec<A>,
): SafeUpDownCounter<A> {
  const counter = meter().createUpDownCounter(spec.name, {
    description: spec.description,
    unit: spec.unit ?? '',
  });
  return {
    add(value, attributes) {
      if (!Number.isFinite(value)) return;
      guard(spec.name, () => counter.add(value, shape(attributes)));
    },
  };
}

export interface GaugeReading<A extends string> {
  readonly value: number;
  readonly attributes: Record<A, string | number>;
}

/**
 * An observable gauge whose callback never throws: a failing reading is
 * reported to the SDK as an error (so the scrape fails loudly) only through
 * `readings` throwing, which the SDK catches.
 */
export function createObservableGauge<A extends string>(
  spec: InstrumentSpec<A>,
  readings: () => readonly GaugeReading<A>[],
): void {
  const gauge = meter().createObservableGauge(spec.name, {
    description: spec.description,
    unit: spec.unit ?? '',
  });
  gauge.addCallback((result: ObservableResult) => {
    for (const reading of readings()) result.observe(reading.value, shape(reading.attributes));
  });
}
