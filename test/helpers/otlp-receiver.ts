/**
 * A minimal OTLP receiver for metrics and traces: OTLP/HTTP in both encodings
 * (http/protobuf, decoded with protobufjs and the OTLP schema in otlp.proto;
 * http/json) and, when asked, OTLP/gRPC on a second port (@grpc/grpc-js).
 * It keeps the latest cumulative point per (process, metric, attributes),
 * which is what a collector's Prometheus exporter would expose, and every
 * span it is sent.
 */
import http from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { projectRoot } from '../../src/paths';

export type Encoding = 'json' | 'protobuf' | 'grpc';

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values?: AnyValue[] };
}
interface KeyValue {
  key: string;
  value?: AnyValue;
}
interface NumberDataPoint {
  attributes?: KeyValue[];
  asInt?: string | number;
  asDouble?: number;
}
interface HistogramDataPoint {
  attributes?: KeyValue[];
  count?: string | number;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints?: NumberDataPoint[] };
  gauge?: { dataPoints?: NumberDataPoint[] };
  histogram?: { dataPoints?: HistogramDataPoint[] };
}
interface MetricsRequest {
  resourceMetrics?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeMetrics?: Array<{ metrics?: OtlpMetric[] }>;
  }>;
}
type Id = string | Uint8Array;
interface OtlpSpan {
  traceId: Id;
  spanId: Id;
  parentSpanId?: Id;
  name: string;
  kind?: number;
  attributes?: KeyValue[];
  links?: Array<{ traceId: Id; spanId: Id }>;
}
interface TraceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: OtlpSpan[] }>;
  }>;
}

export interface ReceivedPoint {
  readonly instance: string;
  readonly metric: string;
  readonly unit: string;
  readonly attributes: Record<string, string>;
  readonly value: number;
}

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId?: string;
  readonly name: string;
  readonly kind: number;
  readonly scope: string;
  readonly attributes: Record<string, string>;
  readonly links: ReadonlyArray<{ readonly traceId: string; readonly spanId: string }>;
  readonly resource: Record<string, string>;
}

function textOf(value: AnyValue | undefined): string {
  if (value === undefined) return '';
  if (value.arrayValue) return JSON.stringify((value.arrayValue.values ?? []).map(textOf));
  return String(value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue ?? '');
}

function plain(attributes: KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of attributes ?? []) out[key] = textOf(value);
  return out;
}

const schema = protobuf.loadSync(path.join(projectRoot, 'test', 'helpers', 'otlp.proto'));
const MetricsRequestType = schema.lookupType('opentelemetry.proto.ExportMetricsServiceRequest');
const TraceRequestType = schema.lookupType('opentelemetry.proto.ExportTraceServiceRequest');
const EmptyResponse = schema.lookupType('opentelemetry.proto.ExportMetricsServiceResponse');

function decode<T>(type: protobuf.Type, bytes: Buffer): T {
  return type.toObject(type.decode(bytes), { longs: Number }) as T;
}

/** Ids: bytes in protobuf, hex strings in the JSON encoding. */
function hex(id: string | Uint8Array | undefined): string | undefined {
  if (id === undefined || typeof id === 'string') return id || undefined;
  return id.length > 0 ? Buffer.from(id).toString('hex') : undefined;
}

export interface OtlpReceiver {
  /** OTLP/HTTP base URL (what OTEL_EXPORTER_OTLP_ENDPOINT takes). */
  readonly endpoint: string;
  /** OTLP/gRPC URL, when started with `grpc: true`. */
  readonly grpcEndpoint: string | undefined;
  /** Metric export requests received. */
  readonly requests: number;
  readonly requestsByEncoding: Readonly<Record<Encoding, number>>;
  readonly spans: readonly ReceivedSpan[];
  /** Resource attributes of the last metric export from each process. */
  resources(): Record<string, string>[];
  /** Sum over processes of the latest value of `metric` whose attributes include `match`. */
  total(metric: string, match?: Record<string, string>): number;
  units(metric: string): Set<string>;
  instances(): Set<string>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(options: { grpc?: boolean } = {}): Promise<OtlpReceiver> {
  const latest = new Map<string, ReceivedPoint>();
  const resources = new Map<string, Record<string, string>>();
  const spans: ReceivedSpan[] = [];
  const counts: Record<Encoding, number> = { json: 0, protobuf: 0, grpc: 0 };

  const onMetrics = (body: MetricsRequest, encoding: Encoding) => {
    counts[encoding] += 1;
    for (const rm of body.resourceMetrics ?? []) {
      const resource = plain(rm.resource?.attributes);
      const instance = resource['service.instance.id'] ?? 'unknown';
      resources.set(instance, resource);
      for (const sm of rm.scopeMetrics ?? []) {
        for (const metric of sm.metrics ?? []) {
          const points: Array<{ attributes?: KeyValue[]; value: number }> = [
            ...[...(metric.sum?.dataPoints ?? []), ...(metric.gauge?.dataPoints ?? [])].map(
              (p) => ({ attributes: p.attributes, value: Number(p.asInt ?? p.asDouble ?? 0) }),
            ),
            ...(metric.histogram?.dataPoints ?? []).map((p) => ({
              attributes: p.attributes,
              value: Number(p.count ?? 0),
            })),
          ];
          for (const point of points) {
            const attributes = plain(point.attributes);
            const key = `${instance}|${metric.name}|${JSON.stringify(Object.entries(attributes).sort())}`;
            latest.set(key, {
              instance,
              metric: metric.name,
              unit: metric.unit ?? '',
              attributes,
              value: point.value,
            });
          }
        }
      }
    }
  };

  const onTraces = (body: TraceRequest) => {
    for (const rs of body.resourceSpans ?? []) {
      const resource = plain(rs.resource?.attributes);
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          const parentSpanId = hex(span.parentSpanId);
          spans.push({
            traceId: hex(span.traceId)!,
            spanId: hex(span.spanId)!,
            ...(parentSpanId ? { parentSpanId } : {}),
            name: span.name,
            kind: span.kind ?? 0,
            scope: ss.scope?.name ?? '',
            attributes: plain(span.attributes),
            links: (span.links ?? []).map((l) => ({
              traceId: hex(l.traceId)!,
              spanId: hex(l.spanId)!,
            })),
            resource,
          });
        }
      }
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const type = String(req.headers['content-type']);
      const encoding: Encoding | undefined = type.includes('json')
        ? 'json'
        : type.includes('protobuf')
          ? 'protobuf'
          : undefined;
      if (encoding === undefined || (req.url !== '/v1/metrics' && req.url !== '/v1/traces')) {
        res.writeHead(415).end();
        return;
      }
      const bytes = Buffer.concat(chunks);
      if (req.url === '/v1/metrics') {
        onMetrics(
          encoding === 'json'
            ? (JSON.parse(bytes.toString()) as MetricsRequest)
            : decode<MetricsRequest>(MetricsRequestType, bytes),
          encoding,
        );
      } else {
        onTraces(
          encoding === 'json'
            ? (JSON.parse(bytes.toString()) as TraceRequest)
            : decode<TraceRequest>(TraceRequestType, bytes),
        );
      }
      if (encoding === 'json') res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  let grpcServer: grpc.Server | undefined;
  let grpcEndpoint: string | undefined;
  if (options.grpc) {
    grpcServer = new grpc.Server();
    const method = <T>(service: string, type: protobuf.Type, handle: (body: T) => void) => ({
      definition: {
        [service]: {
          path: `/opentelemetry.proto.collector.${service}/Export`,
          requestStream: false,
          responseStream: false,
          requestSerialize: () => Buffer.alloc(0),
          requestDeserialize: (bytes: Buffer) => decode<T>(type, bytes),
          responseSerialize: () => Buffer.from(EmptyResponse.encode({}).finish()),
          responseDeserialize: () => ({}),
        },
      },
      handler: {
        [service]: (
          call: grpc.ServerUnaryCall<T, object>,
          callback: grpc.sendUnaryData<object>,
        ) => {
          handle(call.request);
          callback(null, {});
        },
      },
    });
    for (const { definition, handler } of [
      method<MetricsRequest>('metrics.v1.MetricsService', MetricsRequestType, (b) =>
        onMetrics(b, 'grpc'),
      ),
      method<TraceRequest>('trace.v1.TraceService', TraceRequestType, onTraces),
    ]) {
      grpcServer.addService(definition as grpc.ServiceDefinition, handler);
    }
    const grpcPort = await new Promise<number>((resolve, reject) =>
      grpcServer!.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    grpcEndpoint = `http://127.0.0.1:${grpcPort}`;
  }

  return {
    endpoint: `http://127.0.0.1:${port}`,
    grpcEndpoint,
    get requests() {
      return counts.json + counts.protobuf + counts.grpc;
    },
    requestsByEncoding: counts,
    spans,
    resources: () => [...resources.values()],
    total(metric, match = {}) {
      let sum = 0;
      for (const point of latest.values()) {
        if (point.metric !== metric) continue;
        if (Object.entries(match).every(([k, v]) => point.attributes[k] === v)) sum += point.value;
      }
      return sum;
    },
    units(metric) {
      return new Set([...latest.values()].filter((p) => p.metric === metric).map((p) => p.unit));
    },
    instances() {
      return new Set([...latest.values()].map((p) => p.instance));
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (grpcServer)
        await new Promise<void>((resolve) => grpcServer!.tryShutdown(() => resolve()));
    },
  };
}
