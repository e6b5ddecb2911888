/**
 * The Prometheus pull path: a metric reader that collects only when the Koa
 * route in src/web/routes/metrics.ts asks, and @opentelemetry/exporter-
 * prometheus's published PrometheusSerializer for the text.
 *
 * The reader is the SDK's MetricReader, which is how the SDK has custom
 * readers made (PrometheusExporter is one, with its own HTTP server): built
 * with the reader options every other reader takes, METRICS_CARDINALITY_LIMIT
 * (`cardinalitySelector`) and the database metrics (`metricProducers`), both
 * of which PrometheusExporter's constructor does not pass on.
 *
 * Two steps of the OTel→Prometheus compatibility rules that the JS exporter
 * leaves out are done here, on the collected data, before serialising:
 * unit suffixes (`_seconds`, `_bytes`, `_ratio`) and the convention units
 * of host-metrics (otel/units.ts). The names inside the SDK stay the
 * semantic-convention ones, so an OTLP push keeps them and a collector
 * translating OTLP to Prometheus arrives at these same names.
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import {
  DataPointType,
  type MetricData,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { databaseMetrics } from './database-metrics';
import { withConventionUnits } from './units';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Collects when asked (renderPrometheus); nothing to flush or close. */
export class PrometheusPullReader extends MetricReader {
  constructor(cardinalityLimit: number) {
    super({ cardinalitySelector: () => cardinalityLimit, metricProducers: [databaseMetrics] });
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}
}

/** UCUM units to the Prometheus suffix (the compatibility spec's table, trimmed). */
const UNIT_SUFFIXES: Readonly<Record<string, string>> = {
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

export function prometheusName(name: string, unit: string, isGauge: boolean): string {
  const base = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  let suffix = UNIT_SUFFIXES[unit];
  if (suffix === undefined && unit === '1' && isGauge) suffix = 'ratio';
  if (suffix === undefined || base.endsWith(`_${suffix}`) || base.includes(`_${suffix}_`)) {
    return base;
  }
  return `${base}_${suffix}`;
}

export function withPrometheusNames(collected: ResourceMetrics): ResourceMetrics {
  const rm = withConventionUnits(collected);
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
              metric.descriptor.unit,
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
 * would hide the gap from Prometheus. (The exporter's own request handler
 * answers 200 before collecting, so it cannot say so.)
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
  // Detectors may still be reading (host.id); the serializer reads the resource at once.
  await collected.resourceMetrics.resource.waitForAsyncAttributes?.();
  const body = serializerFor(options).serialize(withPrometheusNames(collected.resourceMetrics));
  return { ok: true, body };
}

/** One per option set: a serializer remembers which metadata conflicts it already warned about. */
const serializers = new Map<string, PrometheusSerializer>();

function serializerFor(options: RenderOptions): PrometheusSerializer {
  const key = `${options.targetInfo}/${options.scopeLabels}`;
  let serializer = serializers.get(key);
  if (serializer === undefined) {
    // No prefix; no timestamps (Prometheus assigns the scrape time).
    serializer = new PrometheusSerializer(
      '',
      false,
      undefined,
      !options.targetInfo,
      !options.scopeLabels,
    );
    serializers.set(key, serializer);
  }
  return serializer;
}
