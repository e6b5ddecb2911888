/**
 * The HTTP server instruments of the semantic conventions that
 * instrumentation-http does not emit (it records only
 * `http.server.request.duration`): `http.server.active_requests`,
 * `http.server.request.body.size` and `http.server.response.body.size`.
 *
 * They hang off instrumentation-http's public `responseHook`, which it calls
 * as each incoming request starts, inside the request's context: so exactly
 * the requests it measures are counted here (the metrics path and health
 * probes, which its ignoreIncomingRequestHook skips, are not), and the route
 * comes from the same RPC metadata instrumentation-koa fills in. The
 * attributes are those of the duration histogram.
 *
 * Body sizes are what the Content-Length headers say (the conventions' own
 * description: "often, but not always, present as the Content-Length
 * header"): a body sent chunked without one (export downloads, uploads) is
 * not recorded rather than guessed. Reading the bytes as they pass would mean
 * wrapping the request and response streams.
 */
import { type IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import {
  type Attributes,
  context,
  type Histogram,
  type Meter,
  type UpDownCounter,
  ValueType,
} from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';

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

/** Bytes: from an empty body to the 50 MB import limit. */
const SIZE_BUCKETS = [0, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

interface Instruments {
  readonly active: UpDownCounter;
  readonly requestSize: Histogram;
  readonly responseSize: Histogram;
}

let instruments: Instruments | undefined;

/** Called once the meter provider is registered; until then the hook records nothing. */
export function startHttpServerExtras(meter: Meter): void {
  const sizeOptions = {
    unit: 'By',
    valueType: ValueType.INT,
    advice: { explicitBucketBoundaries: SIZE_BUCKETS },
  };
  instruments = {
    active: meter.createUpDownCounter('http.server.active_requests', {
      description: 'Number of active HTTP server requests.',
      unit: '{request}',
      valueType: ValueType.INT,
    }),
    requestSize: meter.createHistogram('http.server.request.body.size', {
      description: 'Size of HTTP server request bodies.',
      ...sizeOptions,
    }),
    responseSize: meter.createHistogram('http.server.response.body.size', {
      description: 'Size of HTTP server response bodies.',
      ...sizeOptions,
    }),
  };
}

/** instrumentation-http's responseHook; client responses pass through untouched. */
export function httpServerResponseHook(_span: unknown, response: unknown): void {
  if (instruments === undefined || !(response instanceof ServerResponse)) return;
  const { active, requestSize, responseSize } = instruments;
  const request = response.req;
  const method = normalizeMethod(request.method);
  const base: Attributes = {
    'http.request.method': method,
    'url.scheme': (request.socket as Partial<TLSSocket>).encrypted ? 'https' : 'http',
  };
  const rpc = getRPCMetadata(context.active());
  active.add(1, base);
  response.once('close', () => {
    active.add(-1, base);
    const attributes: Attributes = { ...base, 'network.protocol.version': request.httpVersion };
    if (rpc?.type === RPCType.HTTP && rpc.route !== undefined) attributes['http.route'] = rpc.route;
    const status = response.statusCode;
    attributes['http.response.status_code'] = status;
    if (status >= 500) attributes['error.type'] = String(status);
    const received = requestBodySize(request);
    if (received !== undefined) requestSize.record(received, attributes);
    const sent = responseBodySize(response, method);
    if (sent !== undefined) responseSize.record(sent, attributes);
  });
}

function normalizeMethod(method: string | undefined): string {
  if (method === undefined) return 'GET';
  const upper = method.toUpperCase();
  return KNOWN_METHODS.has(upper) ? upper : '_OTHER';
}

function contentLength(value: string | number | string[] | undefined): number | undefined {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return value !== undefined && Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

function requestBodySize(request: IncomingMessage): number | undefined {
  const declared = contentLength(request.headers['content-length']);
  if (declared !== undefined) return declared;
  // No Content-Length and not chunked: the request has no body.
  return request.headers['transfer-encoding'] === undefined ? 0 : undefined;
}

function responseBodySize(response: ServerResponse, method: string): number | undefined {
  if (method === 'HEAD' || response.statusCode === 204 || response.statusCode === 304) return 0;
  return contentLength(response.getHeader('content-length'));
}
