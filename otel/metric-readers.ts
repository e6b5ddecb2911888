/**
 * The metric readers, built in code because the Prometheus one is served by
 * the app's own route (NodeSDK ignores OTEL_METRICS_EXPORTER once readers are
 * passed in): so OTEL_METRICS_EXPORTER, the OTLP protocol and the export
 * interval are honoured here, the way sdk-node would (otel/settings.ts). The
 * OTLP exporters read their endpoint, headers, compression, timeout,
 * certificates and temporality preference from the environment themselves.
 *
 * Every reader applies METRICS_CARDINALITY_LIMIT to the instruments that
 * have no view (otel/views.ts covers the others), and every reader takes
 * the database metrics (otel/database-metrics.ts), which the SDK does not
 * aggregate: a producer can only be given to a reader when it is built.
 */
import { OTLPMetricExporter as GrpcExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  ConsoleMetricExporter,
  type IMetricReader,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { databaseMetrics } from './database-metrics';
import { PrometheusPullReader } from './prometheus';
import type { OtlpProtocol, TelemetrySettings } from './settings';
import { ConventionUnitsExporter } from './units';

export interface ReaderOptions {
  readonly cardinalityLimit: number;
}

export interface MetricReaders {
  readonly readers: IMetricReader[];
  readonly pullReader: PrometheusPullReader | undefined;
}

export function createMetricReaders(
  settings: TelemetrySettings,
  options: ReaderOptions,
): MetricReaders {
  const readers: IMetricReader[] = [];
  let pullReader: PrometheusPullReader | undefined;
  for (const name of settings.metricsExporters) {
    if (name === 'prometheus') {
      pullReader = new PrometheusPullReader(options.cardinalityLimit);
      readers.push(pullReader);
    } else if (name === 'otlp') {
      readers.push(periodic(otlpExporter(settings.otlpMetricsProtocol), settings, options));
    } else {
      readers.push(periodic(new ConsoleMetricExporter(), settings, options));
    }
  }
  return { readers, pullReader };
}

function periodic(
  exporter: PushMetricExporter,
  settings: TelemetrySettings,
  options: ReaderOptions,
): PeriodicExportingMetricReader {
  return new PeriodicExportingMetricReader({
    exporter: new ConventionUnitsExporter(exporter),
    exportIntervalMillis: settings.metricExportIntervalMs,
    exportTimeoutMillis: settings.metricExportTimeoutMs,
    cardinalityLimits: { default: options.cardinalityLimit },
    metricProducers: [databaseMetrics],
  });
}

function otlpExporter(protocol: OtlpProtocol): PushMetricExporter {
  switch (protocol) {
    case 'grpc':
      return new GrpcExporter();
    case 'http/json':
      return new JsonExporter();
    case 'http/protobuf':
      return new ProtobufExporter();
  }
}
