/**
 * Where a scrape's time goes, measured inside the scrape bench server:
 * collect() (the SDK gathers data points), then serialisation with the
 * exporter's own PrometheusSerializer (the baseline) and with ours
 * (otel/prometheus-serializer.ts, what the endpoint uses), on the same
 * collected data; the two outputs must be identical.
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { withPrometheusNames } from '../../otel/prometheus';
import { createPrometheusSerializer } from '../../otel/prometheus-serializer';
import type { TelemetryOptions } from '../../otel/state';
import { median } from '../lib/stats';

export interface Breakdown {
  readonly collectMs: number;
  readonly serializeMs: number;
  readonly fastSerializeMs: number;
  readonly identical: boolean;
  readonly bytes: number;
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
  const fast = createPrometheusSerializer(options);
  const collect: number[] = [];
  const serialize: number[] = [];
  const fastSerialize: number[] = [];
  let identical = true;
  let bytes = 0;
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    const { resourceMetrics } = await reader.collect();
    collect.push(performance.now() - t);
    const data = withPrometheusNames(resourceMetrics);
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
