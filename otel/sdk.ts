/**
 * Starts the OpenTelemetry SDK. Runs from register.ts before any app module is
 * loaded, so http, Koa and pg are patched when the app requires them.
 */
import { randomUUID } from 'node:crypto';
import { metrics } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HostMetricsInstrumentation } from '@opentelemetry/instrumentation-host-metrics';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationType,
  createDenyListAttributesProcessor,
  type IMetricReader,
  PeriodicExportingMetricReader,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import {
  AlwaysOffSampler,
  BatchSpanProcessor,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Config } from '../src/config';
import type { Logger } from '../src/logging/logger';
import { version } from '../src/version';
import { installDiagLogger } from './diag-logger';
import { createServerRequestHistogram } from './http-server-metrics';
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

  const readers: IMetricReader[] = [];
  let pullReader: PullMetricReader | undefined;
  const cardinalitySelector = () => config.metrics.cardinalityLimit;
  if (config.metrics.enabled) {
    if (config.otel.metricsExporter.includes('prometheus')) {
      pullReader = new PullMetricReader({ cardinalitySelector });
      readers.push(pullReader);
    }
    if (config.otel.metricsExporter.includes('otlp')) {
      readers.push(
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter(),
          exportIntervalMillis: config.otel.exportIntervalMs,
          exportTimeoutMillis: Math.min(30_000, config.otel.exportIntervalMs),
          cardinalityLimits: { default: config.metrics.cardinalityLimit },
        }),
      );
    }
  } else {
    log.info('metrics are off (METRICS_ENABLED=false): no /metrics endpoint, no push');
  }

  const tracing = config.otel.tracesExporter === 'otlp';
  const spanProcessors: SpanProcessor[] = tracing
    ? [new BatchSpanProcessor({ exporter: new OTLPTraceExporter() })]
    : [];
  // With no trace exporter, recorded spans would be built and thrown away on
  // every request, middleware layer and query. Unsampled spans still carry
  // the context the instrumentations need (http.route, pg's parent check) and
  // the duration histograms are recorded either way.
  const sampler: Sampler | undefined = tracing ? undefined : new AlwaysOffSampler();

  const ignoredPaths = new Set([config.metrics.path]);
  const collector = new URL(config.otel.otlpEndpoint ?? 'http://localhost:4318');
  // Incoming requests: with traces, instrumentation-http makes their spans and
  // the duration histogram; without, otel/http-server-metrics.ts records the
  // same histogram from a Koa middleware at a fraction of the cost.
  const httpInstrumentation = new HttpInstrumentation({
    disableIncomingRequestInstrumentation: !tracing,
    ignoreIncomingRequestHook: (req) => ignoredPaths.has((req.url ?? '').split('?')[0] ?? ''),
    // The OTLP exporter's own POSTs would otherwise show up as client requests.
    ignoreOutgoingRequestHook: (req) =>
      `${req.hostname ?? req.host}:${req.port}` === collector.host,
  });
  const sdk = new NodeSDK({
    resource: resourceFromAttributes({
      [ATTR_SERVICE_NAME]: config.otel.serviceName,
      [ATTR_SERVICE_VERSION]: version,
      'service.instance.id': randomUUID(),
    }),
    autoDetectResources: false,
    metricReaders: readers,
    views: bucketViews(config.metrics.durationBuckets),
    // Empty lists, not undefined: undefined makes NodeSDK default to OTLP exporters.
    spanProcessors,
    ...(sampler ? { sampler } : {}),
    logRecordProcessors: [],
    instrumentations: [
      httpInstrumentation,
      // Router layers only: they name the request's span and set http.route.
      // A span for each of the ~20 app.use() layers cost more than the whole
      // of the rest of telemetry on a small request (docs/benchmarks.md).
      ...(tracing ? [new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] })] : []),
      // Only queries inside a request or a job span: graphile-worker's idle
      // polling (two queries a second, outside any span) stays out.
      new PgInstrumentation({ requireParentSpan: true }),
      new UndiciInstrumentation(),
      new RuntimeNodeInstrumentation(),
      new HostMetricsInstrumentation({ metricGroups: ['process.cpu', 'process.memory'] }),
    ],
  });
  sdk.start();
  const serverRequests =
    readers.length > 0 && !tracing
      ? createServerRequestHistogram(
          metrics.getMeter(
            httpInstrumentation.instrumentationName,
            httpInstrumentation.instrumentationVersion,
          ),
        )
      : undefined;
  return remember({
    status: readers.length > 0 ? 'running' : 'metrics-disabled',
    pullReader,
    options,
    serverRequests,
    shutdown: () => sdk.shutdown(),
  });
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
