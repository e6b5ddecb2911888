/**
 * The standard OTEL_* variables that this project has to interpret itself,
 * because it hands NodeSDK objects in code (metric readers for /metrics, the
 * instrumentation list). Everything else (resource, detectors, sampler,
 * propagators, span exporters, OTLP endpoints, headers, compression,
 * timeouts) is read by @opentelemetry/sdk-node and the exporters themselves.
 *
 * Values are read with @opentelemetry/core's env helpers, the ones sdk-node
 * uses, so both agree on what a value means. As the specification asks, an
 * unknown value is a warning (through `diag`, which otel/diag-logger.ts
 * routes to the log) and is ignored; it never stops the app.
 */
import { diag } from '@opentelemetry/api';
import { getNumberFromEnv, getStringFromEnv, getStringListFromEnv } from '@opentelemetry/core';

export type MetricsExporterName = 'prometheus' | 'otlp' | 'console';
export type OtlpProtocol = 'grpc' | 'http/json' | 'http/protobuf';

/** What OTEL_NODE_ENABLED/DISABLED_INSTRUMENTATIONS name (package names without the prefix). */
export const INSTRUMENTATION_NAMES = [
  'http',
  'koa',
  'pg',
  'undici',
  'runtime-node',
  'host-metrics',
  'pino',
] as const;
export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

export interface TelemetrySettings {
  /** OTEL_METRICS_EXPORTER; this project's default is `prometheus` (the /metrics endpoint). */
  readonly metricsExporters: readonly MetricsExporterName[];
  /** False when OTEL_TRACES_EXPORTER is unset or `none`: no tracer provider at all. */
  readonly tracesExported: boolean;
  /** False when OTEL_LOGS_EXPORTER is unset or `none`: logs go to stdout only. */
  readonly logsExported: boolean;
  readonly otlpMetricsProtocol: OtlpProtocol;
  readonly metricExportIntervalMs: number;
  readonly metricExportTimeoutMs: number;
  readonly instrumentations: ReadonlySet<InstrumentationName>;
  /** host:port of every OTLP/HTTP endpoint, whose requests are not measured as app traffic. */
  readonly collectorHosts: ReadonlySet<string>;
}

const PROTOCOLS: readonly OtlpProtocol[] = ['grpc', 'http/json', 'http/protobuf'];
const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 30_000;

export function readTelemetrySettings(): TelemetrySettings {
  return {
    metricsExporters: metricsExporters(),
    tracesExported: exported('OTEL_TRACES_EXPORTER'),
    logsExported: exported('OTEL_LOGS_EXPORTER'),
    otlpMetricsProtocol: protocol(),
    ...exportTiming(),
    instrumentations: instrumentations(),
    collectorHosts: collectorHosts(),
  };
}

const DEFAULT_METRICS_EXPORTER: MetricsExporterName = 'prometheus';

/**
 * Unknown names are warned about and ignored; when no name is left the
 * variable counts as unset (the specification's "gracefully ignored"), so a
 * typo keeps the default /metrics rather than switching metrics off. Only an
 * explicit `none` turns them off.
 */
function metricsExporters(): MetricsExporterName[] {
  const names = [
    ...new Set(getStringListFromEnv('OTEL_METRICS_EXPORTER') ?? [DEFAULT_METRICS_EXPORTER]),
  ];
  if (names.includes('none')) return [];
  const known: MetricsExporterName[] = [];
  for (const name of names) {
    if (name === 'prometheus' || name === 'otlp' || name === 'console') known.push(name);
    else {
      diag.warn(
        `Unsupported OTEL_METRICS_EXPORTER value "${name}" ignored: use prometheus, otlp, console or none.`,
      );
    }
  }
  if (known.length > 0) return known;
  diag.warn(
    `OTEL_METRICS_EXPORTER names no known exporter: using the default, ${DEFAULT_METRICS_EXPORTER}.`,
  );
  return [DEFAULT_METRICS_EXPORTER];
}

/**
 * sdk-node reads the exporter lists itself (and warns about unknown names);
 * only the project's default differs from the specification's: unset means
 * none, as pebbling-club ships no collector.
 */
function exported(variable: 'OTEL_TRACES_EXPORTER' | 'OTEL_LOGS_EXPORTER'): boolean {
  const names = getStringListFromEnv(variable) ?? [];
  return names.length > 0 && names[0] !== 'none';
}

function protocol(): OtlpProtocol {
  const value =
    getStringFromEnv('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL') ??
    getStringFromEnv('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (value === undefined) return 'http/protobuf';
  const trimmed = value.trim() as OtlpProtocol;
  if (PROTOCOLS.includes(trimmed)) return trimmed;
  diag.warn(`Unsupported OTLP metrics protocol "${value}": using http/protobuf.`);
  return 'http/protobuf';
}

function positive(variable: string): number | undefined {
  const value = getNumberFromEnv(variable);
  if (value !== undefined && value <= 0) {
    diag.warn(`${variable}=${value} ignored: expected a number greater than 0.`);
    return undefined;
  }
  return value;
}

/** As sdk-node does: the timeout never exceeds the interval. */
function exportTiming() {
  const metricExportIntervalMs = positive('OTEL_METRIC_EXPORT_INTERVAL') ?? DEFAULT_INTERVAL_MS;
  const timeout = positive('OTEL_METRIC_EXPORT_TIMEOUT') ?? DEFAULT_TIMEOUT_MS;
  return {
    metricExportIntervalMs,
    metricExportTimeoutMs: Math.min(timeout, metricExportIntervalMs),
  };
}

/**
 * auto-instrumentations-node's semantics: the enabled list (when set) first,
 * then the disabled list; a name in both is disabled.
 */
function instrumentations(): Set<InstrumentationName> {
  const known = (variable: string): InstrumentationName[] | undefined => {
    const names = getStringListFromEnv(variable);
    if (names === undefined) return undefined;
    for (const name of names) {
      if (!(INSTRUMENTATION_NAMES as readonly string[]).includes(name)) {
        diag.warn(
          `${variable}: unknown instrumentation "${name}" ignored; this app has ${INSTRUMENTATION_NAMES.join(', ')}.`,
        );
      }
    }
    return INSTRUMENTATION_NAMES.filter((n) => names.includes(n));
  };
  const enabled = new Set(known('OTEL_NODE_ENABLED_INSTRUMENTATIONS') ?? INSTRUMENTATION_NAMES);
  for (const name of known('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []) enabled.delete(name);
  return enabled;
}

function collectorHosts(): Set<string> {
  const hosts = new Set<string>();
  const endpoints = [
    getStringFromEnv('OTEL_EXPORTER_OTLP_ENDPOINT') ?? 'http://localhost:4318',
    getStringFromEnv('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT'),
    getStringFromEnv('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'),
    getStringFromEnv('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'),
  ];
  for (const endpoint of endpoints) {
    if (endpoint === undefined) continue;
    try {
      const url = new URL(endpoint);
      hosts.add(`${url.hostname}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`);
    } catch {
      // The exporter reports a malformed endpoint itself.
    }
  }
  return hosts;
}
