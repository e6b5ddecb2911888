/**
 * Starts OpenTelemetry with @opentelemetry/sdk-node's NodeSDK, from
 * register.ts, before any app module is loaded.
 *
 * NodeSDK reads the standard environment itself: OTEL_SDK_DISABLED,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_SERVICE_NAME, OTEL_NODE_RESOURCE_DETECTORS,
 * OTEL_TRACES_SAMPLER(_ARG), OTEL_PROPAGATORS, OTEL_TRACES_EXPORTER and
 * OTEL_LOGS_EXPORTER with their OTLP protocol, endpoint, headers, compression
 * and timeout variables, the batch processor (OTEL_BSP_…, OTEL_BLRP_…), span and log limits. What it
 * is handed in code, and why:
 * - the metric readers, because the Prometheus reader is served by the app's
 *   own route (otel/metric-readers.ts honours OTEL_METRICS_EXPORTER for it);
 * - the instrumentations (otel/instrumentations.ts);
 * - views that put METRICS_DURATION_BUCKETS and METRICS_CARDINALITY_LIMIT on
 *   third-party histograms (otel/views.ts);
 * - a base resource naming the service `pebbling-club` with its version,
 *   under whatever the detectors and OTEL_* variables say;
 * - no span or log processors when OTEL_TRACES_EXPORTER / OTEL_LOGS_EXPORTER
 *   is unset: this project's default is to record no spans (no tracer
 *   provider: every span is the API's non-recording one, which still carries
 *   the request's context for pg's requireParentSpan and log correlation)
 *   and to write logs to stdout only.
 */
import { metrics } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Config } from '../src/config';
import type * as LoggerModule from '../src/logging/logger';
import type { Logger } from '../src/logging/logger';
import { version } from '../src/version';
import { bufferDiagMessages, installDiagLogger } from './diag-logger';
import { startHttpServerExtras } from './http-server-extras';
import { createInstrumentations, createPinoInstrumentation } from './instrumentations';
import { createMetricReaders } from './metric-readers';
import { startProcessMetrics } from './process-metrics';
import { readTelemetrySettings, type TelemetrySettings } from './settings';
import { setTelemetry, type TelemetryState, telemetryOptions } from './state';
import { createViews } from './views';

export const SERVICE_NAME = 'pebbling-club';

/**
 * The order matters: the pino instrumentation is made before the logger
 * module is loaded (so pino is patched), and the SDK's warnings — reading the
 * configuration already gives some — are held until the log exists.
 */
export function bootTelemetry(config: Config): TelemetryState {
  const replayDiag = bufferDiagMessages();
  const settings = readTelemetrySettings();
  const pino = createPinoInstrumentation(settings);
  const { createLogger } = require('../src/logging/logger') as typeof LoggerModule;
  const logger = createLogger(config.logLevel).child({ component: 'otel' });
  replayDiag(logger);
  for (const warning of config.warnings) logger.warn(warning);
  return startTelemetry(config, settings, logger, pino ? [pino] : []);
}

/** `logger` is the otel component's. */
function startTelemetry(
  config: Config,
  settings: TelemetrySettings,
  logger: Logger,
  first: readonly Instrumentation[],
): TelemetryState {
  const options = telemetryOptions(config);
  const { readers, pullReader } = config.metrics.enabled
    ? createMetricReaders(settings, { cardinalityLimit: config.metrics.cardinalityLimit })
    : { readers: [], pullReader: undefined };
  const sdk = new NodeSDK({
    resource: defaultResource().merge(
      resourceFromAttributes({
        [ATTR_SERVICE_NAME]: SERVICE_NAME,
        [ATTR_SERVICE_VERSION]: version,
      }),
    ),
    instrumentations: [
      ...first,
      ...createInstrumentations(settings, { metricsPath: config.metrics.path }),
    ],
    metricReaders: readers,
    views: createViews({
      durationBuckets: config.metrics.durationBuckets,
      cardinalityLimit: config.metrics.cardinalityLimit,
    }),
    ...(settings.tracesExported ? {} : { spanProcessors: [] }),
    ...(settings.logsExported ? {} : { logRecordProcessors: [] }),
  });
  // NodeSDK puts a console logger in when OTEL_LOG_LEVEL is set; ours honours that level.
  installDiagLogger(logger);
  sdk.start();

  if (readers.length > 0) {
    const meter = metrics.getMeter(SERVICE_NAME, version);
    if (settings.instrumentations.has('http')) startHttpServerExtras(meter);
    startProcessMetrics(meter);
  } else if (!config.metrics.enabled) {
    logger.info('metrics are off (METRICS_ENABLED=false): no /metrics endpoint, no push');
  } else {
    logger.info('no metrics exporter (OTEL_METRICS_EXPORTER=none): no /metrics endpoint, no push');
  }
  const state: TelemetryState = {
    status: readers.length > 0 ? 'running' : 'metrics-disabled',
    pullReader,
    options,
    shutdown: () => sdk.shutdown(),
  };
  setTelemetry(state);
  return state;
}
