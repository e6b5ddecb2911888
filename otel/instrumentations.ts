/**
 * The upstream instrumentations, in every mode (traces exported or not), made
 * cheap through their public options. OTEL_NODE_ENABLED_INSTRUMENTATIONS and
 * OTEL_NODE_DISABLED_INSTRUMENTATIONS choose among them (otel/settings.ts).
 *
 * Constructing an instrumentation installs its require hook, so this runs
 * before the app (and pino) is loaded.
 */
import type { IncomingMessage } from 'node:http';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { HostMetricsInstrumentation } from '@opentelemetry/instrumentation-host-metrics';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { KoaInstrumentation, KoaLayerType } from '@opentelemetry/instrumentation-koa';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { RuntimeNodeInstrumentation } from '@opentelemetry/instrumentation-runtime-node';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { httpServerResponseHook } from './http-server-extras';
import type { InstrumentationName, TelemetrySettings } from './settings';

/**
 * Requests that are not app traffic: scrapes and the health probes. They get
 * no metric, no span and no request context (so their queries are not
 * counted either): a Prometheus or a load balancer polling every few seconds
 * would otherwise dominate the HTTP and database histograms.
 */
export const HEALTH_PROBE_PATHS = ['/healthz', '/readyz'] as const;

export function createInstrumentations(
  settings: TelemetrySettings,
  options: { readonly metricsPath: string },
): Instrumentation[] {
  const ignoredPaths = new Set<string>([options.metricsPath, ...HEALTH_PROBE_PATHS]);
  const factories: Record<Exclude<InstrumentationName, 'pino'>, () => Instrumentation> = {
    http: () =>
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => ignoredPaths.has(pathOf(req.url)),
        // The OTLP exporters' own requests are not the app's outgoing traffic.
        ignoreOutgoingRequestHook: (req) =>
          settings.collectorHosts.has(
            `${req.hostname ?? req.host}:${req.port ?? (req.protocol === 'https:' ? 443 : 80)}`,
          ),
        responseHook: httpServerResponseHook,
      }),
    // Router layers only: they set http.route and name the request's span.
    // A span for each of the ~20 app.use() layers would cost more than the
    // rest of telemetry on a small request.
    koa: () => new KoaInstrumentation({ ignoreLayersType: [KoaLayerType.MIDDLEWARE] }),
    // Only queries with a parent span: those of a request or a job
    // (src/worker/runner.ts), not graphile-worker's idle polling (two
    // queries a second) nor those of health probes.
    pg: () => new PgInstrumentation({ requireParentSpan: true }),
    undici: () => new UndiciInstrumentation(),
    'runtime-node': () => new RuntimeNodeInstrumentation(),
    'host-metrics': () =>
      new HostMetricsInstrumentation({ metricGroups: ['process.cpu', 'process.memory'] }),
  };
  const list: Instrumentation[] = [];
  for (const [name, create] of Object.entries(factories)) {
    if (settings.instrumentations.has(name as InstrumentationName)) list.push(create());
  }
  return list;
}

/**
 * Log correlation (trace_id, span_id, trace_flags in each line written in a
 * span's context) and, when OTEL_LOGS_EXPORTER is set, log records to the
 * logs SDK. Made first, so pino is patched before anything loads it.
 */
export function createPinoInstrumentation(
  settings: TelemetrySettings,
): Instrumentation | undefined {
  if (!settings.instrumentations.has('pino')) return undefined;
  return new PinoInstrumentation({ disableLogSending: !settings.logsExported });
}

function pathOf(url: string | undefined): string {
  const end = url?.indexOf('?') ?? -1;
  return end === -1 ? (url ?? '') : url!.slice(0, end);
}
