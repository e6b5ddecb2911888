/**
 * Where a scrape's time goes, measured inside the scrape bench server:
 * collect() (the SDK gathers data points), then serialisation with the
 * exporter's PrometheusSerializer (what the endpoint uses) and with the
 * prototype in fast-serializer.ts, on the same collected data; the two
 * outputs must be identical.
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import {
  DataPointType,
  type MetricData,
  type MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { prometheusName } from '../../otel/prometheus';
import type { TelemetryOptions } from '../../otel/state';
import { median } from '../lib/stats';
import { createFastSerializer } from './fast-serializer';

export interface Breakdown {
  readonly collectMs: number;
  readonly serializeMs: number;
  readonly fastSerializeMs: number;
  readonly identical: boolean;
  readonly bytes: number;
}

/** The same renaming otel/prometheus.ts applies before serialising (unit suffixes). */
function renamed(rm: ResourceMetrics): ResourceMetrics {
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

export async function measureBreakdown(
  reader: MetricReader,
  options: TelemetryOptions,
  rounds: number,
): Promise<Breakdown> {
  const official = new PrometheusSerializer(
    '',
    false,
    undefined,
    !options.targetInfo,
    !options.scopeLabels,
  );
  const fast = createFastSerializer(!options.targetInfo, !options.scopeLabels);
  const collect: number[] = [];
  const serialize: number[] = [];
  const fastSerialize: number[] = [];
  let identical = true;
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    const { resourceMetrics } = await reader.collect();
    collect.push(performance.now() - t);
    const data = renamed(resourceMetrics);
    t = performance.now();
    const a = official.serialize(data);
    serialize.push(performance.now() - t);
    t = performance.now();
    const b = fast.serialize(data);
    fastSerialize.push(performance.now() - t);
    identical &&= a === b;
    bytes = a.length;
  }
  return {
    collectMs: median(collect),
    serializeMs: median(serialize),
    fastSerializeMs: median(fastSerialize),
    identical,
    bytes,
  };
}
