/**
 * `http.server.request.duration` without a span per request, for when no
 * traces are exported (the default).
 *
 * instrumentation-http builds a dozen span attributes for every incoming
 * request (URL, peer address, user agent…), starts a span and switches context
 * twice, and with no trace exporter all of it is thrown away: on /healthz that
 * was most of telemetry's cost (docs/benchmarks.md). This middleware records
 * the same histogram — same name, unit, description, buckets, attributes and
 * instrumentation scope, so the series are identical — from one Koa middleware,
 * the route from @koa/router's ctx._matchedRoute (which is also where
 * instrumentation-koa reads it).
 *
 * When OTEL_TRACES_EXPORTER=otlp, instrumentation-http and -koa do the work
 * (they also make the spans) and this middleware passes through.
 */
import {
  type Attributes,
  context,
  type Histogram,
  type Meter,
  trace,
  ValueType,
} from '@opentelemetry/api';
import type { Middleware } from 'koa';
import { getTelemetry } from './state';

/** What instrumentation-http calls the same instrument. */
const NAME = 'http.server.request.duration';
const DESCRIPTION = 'Duration of HTTP server requests.';

/** HTTP methods kept as they are; others become _OTHER (semantic conventions). */
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'POST',
  'PUT',
  'TRACE',
  'PATCH',
  'QUERY',
]);

function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

export function createServerRequestHistogram(meter: Meter): Histogram {
  return meter.createHistogram(NAME, {
    description: DESCRIPTION,
    unit: 's',
    valueType: ValueType.DOUBLE,
  });
}

/**
 * Queries made while answering run in a context holding an unsampled span:
 * instrumentation-pg (requireParentSpan) then counts them, as it counts the
 * queries of jobs, and graphile-worker's idle polling stays out.
 */
const requestSpan = trace.wrapSpanContext({
  traceId: '00000000000000000000000000000000',
  spanId: '0000000000000000',
  traceFlags: 0,
});

export function serverRequestMetrics(ignoredPaths: ReadonlySet<string>): Middleware {
  const histogram = getTelemetry().serverRequests;
  if (!histogram) return (_ctx, next) => next();
  return (ctx, next) => {
    const { req, res } = ctx;
    if (ignoredPaths.has((req.url ?? '').split('?')[0] ?? '')) return next();
    const started = performance.now();
    res.once('close', () => {
      // The attribute order instrumentation-http uses, so label order matches too.
      const attributes: Attributes = {
        'http.request.method': normalizeMethod(req.method),
        'url.scheme': 'http',
      };
      if (req.httpVersion) attributes['network.protocol.version'] = req.httpVersion;
      if (ctx._matchedRoute !== undefined) attributes['http.route'] = String(ctx._matchedRoute);
      if (res.statusCode) {
        attributes['http.response.status_code'] = res.statusCode;
        if (res.statusCode >= 500 && res.statusCode < 600) {
          attributes['error.type'] = String(res.statusCode);
        }
      }
      histogram.record((performance.now() - started) / 1000, attributes);
    });
    return context.with(trace.setSpan(context.active(), requestSpan), next);
  };
}
