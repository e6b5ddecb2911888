/**
 * Prometheus text rendering with the OTel→Prometheus compatibility rules the
 * JS exporter leaves out: unit suffixes (`_seconds`, `_bytes`). The names
 * inside the SDK stay the semantic-convention ones, so an OTLP push keeps them
 * and a collector translating OTLP to Prometheus arrives at these same names.
 */
import {
  DataPointType,
  type MetricData,
  type MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { createPrometheusSerializer } from './prometheus-serializer';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** UCUM units to the Prometheus suffix (the compatibility spec's table, trimmed). */
const UNIT_SUFFIXES: Record<string, string> = {
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  min: 'minutes',
  h: 'hours',
  d: 'days',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  '%': 'percent',
  Hz: 'hertz',
};

/**
 * Instruments that follow a semantic convention but were created without its
 * unit (host-metrics). The convention's unit applies.
 */
const CONVENTION_UNITS: Record<string, string> = {
  'process.memory.usage': 'By',
  'process.memory.virtual': 'By',
  'process.cpu.utilization': '1',
};

export function prometheusName(name: string, unit: string, isGauge: boolean): string {
  const base = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  let suffix = UNIT_SUFFIXES[unit];
  if (suffix === undefined && unit === '1' && isGauge) suffix = 'ratio';
  if (suffix === undefined || base.endsWith(`_${suffix}`) || base.includes(`_${suffix}_`)) {
    return base;
  }
  return `${base}_${suffix}`;
}

export function withPrometheusNames(rm: ResourceMetrics): ResourceMetrics {
  return {
    resource: rm.resource,
    scopeMetrics: rm.scopeMetrics.map((sm) => ({
      scope: sm.scope,
      metrics: sm.metrics.map(
        (metric): MetricData => ({
          ...metric,
          descriptor: {
            ...metric.descriptor,
            name: prometheusName(
              metric.descriptor.name,
              metric.descriptor.unit || CONVENTION_UNITS[metric.descriptor.name] || '',
              metric.dataPointType === DataPointType.GAUGE,
            ),
          },
        }),
      ),
    })),
  };
}

export type RenderResult =
  | { readonly ok: true; readonly body: string }
  | { readonly ok: false; readonly errors: readonly unknown[] };

export interface RenderOptions {
  readonly scopeLabels: boolean;
  readonly targetInfo: boolean;
}

/**
 * Collects and renders. Any collection error (a throwing callback, a timed-out
 * observable) fails the whole scrape: a partial scrape that looks complete
 * would hide the gap from Prometheus.
 */
export async function renderPrometheus(
  reader: MetricReader,
  options: RenderOptions,
): Promise<RenderResult> {
  let collected: Awaited<ReturnType<MetricReader['collect']>>;
  try {
    collected = await reader.collect({ timeoutMillis: 5000 });
  } catch (error) {
    return { ok: false, errors: [error] };
  }
  if (collected.errors.length > 0) return { ok: false, errors: collected.errors };
  const serializer = createPrometheusSerializer(options);
  return { ok: true, body: serializer.serialize(withPrometheusNames(collected.resourceMetrics)) };
}
