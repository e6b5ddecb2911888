/**
 * Where a scrape's time goes, measured inside the scrape bench server:
 * collect() (the SDK gathers data points), the renaming step (unit suffixes,
 * otel/prometheus.ts), the exporter's PrometheusSerializer, and gzip (what a
 * Prometheus scrape gets), on the same collected data.
 */
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { MetricReader } from '@opentelemetry/sdk-metrics';
import { withPrometheusNames } from '../../otel/prometheus';
import type { TelemetryOptions } from '../../otel/state';
import { median } from '../lib/stats';

const gzip = promisify(zlib.gzip);

export interface Breakdown {
  readonly collectMs: number;
  readonly renameMs: number;
  readonly serializeMs: number;
  readonly gzipMs: number;
  readonly bytes: number;
  readonly gzipBytes: number;
}

export async function measureBreakdown(
  reader: MetricReader,
  options: TelemetryOptions,
  rounds: number,
): Promise<Breakdown> {
  const serializer = new PrometheusSerializer(
    '',
    false,
    undefined,
    !options.targetInfo,
    !options.scopeLabels,
  );
  const collect: number[] = [];
  const rename: number[] = [];
  const serialize: number[] = [];
  const compress: number[] = [];
  let bytes = 0;
  let gzipBytes = 0;
  for (let i = 0; i < rounds; i++) {
    let t = performance.now();
    const { resourceMetrics } = await reader.collect();
    collect.push(performance.now() - t);
    t = performance.now();
    const data = withPrometheusNames(resourceMetrics);
    rename.push(performance.now() - t);
    t = performance.now();
    const text = serializer.serialize(data);
    serialize.push(performance.now() - t);
    t = performance.now();
    gzipBytes = (await gzip(text)).length;
    compress.push(performance.now() - t);
    bytes = Buffer.byteLength(text);
  }
  return {
    collectMs: median(collect),
    renameMs: median(rename),
    serializeMs: median(serialize),
    gzipMs: median(compress),
    bytes,
    gzipBytes,
  };
}
