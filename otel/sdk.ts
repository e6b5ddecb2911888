/**
 * Starts OpenTelemetry. Runs from register.ts before any app module is
 * loaded, so http and pg (and Koa, when tracing) are patched when the app
 * requires them.
 *
 * The providers are put together here rather than by @opentelemetry/sdk-node:
 * NodeSDK loads every exporter it could be configured with (gRPC, protobuf,
 * Zipkin, logs), a third of a second of CPU at every start, and does nothing
 * for us we do not do below in a few lines. The OTLP exporters are loaded
 * only when configured, for the same reason.
 */
import { randomUUID } from 'node:crypto';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { type Instrumentation, registerInstrumentations } from '@opentelemetry/instrumentation';
import { HostMetricsInstrumentation } from '@opentelemetry/instrumentation-host-metrics';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { type Resource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  createDenyListAttributesProcessor,
  type IMetricReader,
  MeterProvider,
  PeriodicExportingMetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Config } from '../src/config';
import type { Logger } from '../src/logging/logger';
import { databaseMetrics } from '../src/metrics/producer';
import { version } from '../src/version';
import { installDiagLogger } from './diag-logger';
import { createServerRequestHistogram } from './http-server-metrics';
import { PgMetricsInstrumentation } from './pg-metrics';
import { PullMetricReader } from './pull-reader';
import { setTelemetry, type TelemetryState } from './state';

/** Third-party histograms whose buckets follow METRICS_DURATION_BUCKETS. */
const THIRD_PARTY_SECONDS_HISTOGRAMS = [
  'http.server.request.duration',
  'http.client.request.duration',
  'db.client.operation.duration',
];

/**
 * Outgoing requests fetch what people bookmark, private bookmarks included:
 * their host must never become a label (it would also be one series per host).
 */
const CLIENT_HOST_ATTRIBUTES = ['server.address', 'server.port'];

export function startTelemetry(config: Config, logger: Logger): TelemetryState {
  const log = logger.child({ component: 'otel' });
  const options = {
    idLabels: config.metrics.idLabels,
    durationBuckets: config.metrics.durationBuckets,
    scopeLabels: config.metrics.scopeLabels,
    targetInfo: config.metrics.targetInfo,
  };
  if (config.otel.sdkDisabled) {
    log.info('OpenTelemetry SDK disabled (OTEL_SDK_DISABLED=true): metrics are off');
    return remember({ status: 'sdk-disabled', pullReader: undefined, options });
  }
  installDiagLogger(logger);

  const readers = metricReaders(config);
  if (!config.metrics.enabled) {
    log.info('metrics are off (METRICS_ENABLED=false): no /metrics endpoint, no push');
  }
  const tracing = config.otel.tracesExporter === 'otlp';
  const resource = resourceFromAttributes({
    [ATTR_SERVICE_NAME]: config.otel.serviceName,
    [ATTR_SERVICE_VERSION]: version,
    'service.instance.id': randomUUID(),
  });

  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  const meterProvider =
    readers.length > 0
      ? new MeterProvider({
          resource,
          readers,
          views: bucketViews(config.metrics.durationBuckets),
        })
      : undefined;
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  // Without a trace exporter no tracer provider is registered: the API's
  // no-op tracer hands out unsampled spans, which still carry the context the
  // instrumentations need (pg's parent check), and nothing is recorded.
  const tracerProvider = tracing ? createTracerProvider(resource) : undefined;
  if (tracerProvider) trace.setGlobalTracerProvider(tracerProvider);

  const http = httpInstrumentation(config, tracing);
  registerInstrumentations({
    instrumentations: instrumentations(http, tracing),
    ...(meterProvider ? { meterProvider } : {}),
    ...(tracerProvider ? { tracerProvider } : {}),
  });
  const serverRequests =
    meterProvider && !tracing
      ? createServerRequestHistogram(
          meterProvider.getMeter(http.instrumentationName, http.instrumentationVersion),
        )
      : undefined;
  return remember({
    status: meterProvider ? 'running' : 'metrics-disabled',
    pullReader: readers.find((r) => r instanceof PullMetricReader),
    options,
    serverRequests,
    shutdown: async () => {
      await Promise.all([meterProvider?.shutdown(), tracerProvider?.shutdown()]);
    },
  });
}

function metricReaders(config: Config): IMetricReader[] {
  if (!config.metrics.enabled) return [];
  const readers: IMetricReader[] = [];
  const cardinalitySelector = () => config.metrics.cardinalityLimit;
  if (config.otel.metricsExporter.includes('prometheus')) {
    readers.push(new PullMetricReader({ cardinalitySelector, metricProducers: [databaseMetrics] }));
  }
  if (config.otel.metricsExporter.includes('otlp')) {
    const { OTLPMetricExporter } = loadOtlpMetricExporter();
    readers.push(
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter(),
        exportIntervalMillis: config.otel.exportIntervalMs,
        exportTimeoutMillis: Math.min(30_000, config.otel.exportIntervalMs),
        cardinalityLimits: { default: config.metrics.cardinalityLimit },
        metricProducers: [databaseMetrics],
      }),
    );
  }
  return readers;
}

/** Parent-based, always on: what NodeSDK would pick without OTEL_TRACES_SAMPLER. */
function createTracerProvider(resource: Resource): TracerProvider {
  const { OTLPTraceExporter } = loadOtlpTraceExporter();
  return new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })],
  });
}

/**
 * Incoming requests: with traces, instrumentation-http makes their spans and
 * the duration histogram; without, otel/http-server-metrics.ts records the
 * same histogram from a Koa middleware at a fraction of the cost.
 */
function httpInstrumentation(config: Config, tracing: boolean): HttpInstrumentation {
  const ignoredPaths = new Set([config.metrics.path]);
  const collector = new URL(config.otel.otlpEndpoint ?? 'http://localhost:4318');
  return new HttpInstrumentation({
    disableIncomingRequestInstrumentation: !tracing,
    ignoreIncomingRequestHook: (req) => ignoredPaths.has((req.url ?? '').split('?')[0] ?? ''),
    // The OTLP exporter's own POSTs would otherwise show up as client requests.
    ignoreOutgoingRequestHook: (req) =>
      `${req.hostname ?? req.host}:${req.port}` === collector.host,
  });
}

function instrumentations(http: HttpInstrumentation, tracing: boolean): Instrumentation[] {
  return [
    http,
    // Router layers only: they name the request's span and set http.route.
    // A span for each of the ~20 app.use() layers cost more than the whole
    // of the rest of telemetry on a small request (docs/benchmarks.md).
    ...(tracing ? [new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] })] : []),
    // Only queries inside a request or a job span: graphile-worker's idle
    // polling (two queries a second, outside any span) stays out. Without
    // traces, otel/pg-metrics.ts records the same histogram for less.
    tracing ? new PgInstrumentation({ requireParentSpan: true }) : pgMetrics(),
    new UndiciInstrumentation(),
    new RuntimeNodeInstrumentation(),
    new HostMetricsInstrumentation({ metricGroups: ['process.cpu', 'process.memory'] }),
  ];
}

function pgMetrics(): PgMetricsInstrumentation {
  // Only for its name and version (the scope of the series); it patches nothing.
  const reference = new PgInstrumentation({ enabled: false });
  return new PgMetricsInstrumentation(
    reference.instrumentationName,
    reference.instrumentationVersion,
  );
}

function loadOtlpMetricExporter(): typeof import('@opentelemetry/exporter-metrics-otlp-http') {
  return require('@opentelemetry/exporter-metrics-otlp-http');
}

function loadOtlpTraceExporter(): typeof import('@opentelemetry/exporter-trace-otlp-http') {
  return require('@opentelemetry/exporter-trace-otlp-http');
}

function remember(
  state: Omit<TelemetryState, 'shutdown'> & { shutdown?: () => Promise<void> },
): TelemetryState {
  const full: TelemetryState = { shutdown: async () => {}, ...state };
  setTelemetry(full);
  return full;
}

function bucketViews(boundaries: readonly number[]): ViewOptions[] {
  return THIRD_PARTY_SECONDS_HISTOGRAMS.map((instrumentName) => ({
    instrumentName,
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...boundaries] },
    },
    ...(instrumentName === 'http.client.request.duration'
      ? { attributesProcessors: [createDenyListAttributesProcessor(CLIENT_HOST_ATTRIBUTES)] }
      : {}),
  }));
}
