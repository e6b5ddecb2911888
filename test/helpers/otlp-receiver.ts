/**
 * A minimal OTLP/HTTP metrics receiver that decodes real OTLP JSON (the
 * encoding @opentelemetry/exporter-metrics-otlp-http sends). It keeps the
 * latest cumulative point per (process, metric, attributes), which is what a
 * collector's Prometheus exporter would expose.
 */
import http from 'node:http';

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  doubleValue?: number;
  boolValue?: boolean;
}
interface KeyValue {
  key: string;
  value: AnyValue;
}
interface NumberDataPoint {
  attributes?: KeyValue[];
  asInt?: string | number;
  asDouble?: number;
  timeUnixNano?: string;
}
interface HistogramDataPoint {
  attributes?: KeyValue[];
  count?: string | number;
  sum?: number;
}
interface OtlpMetric {
  name: string;
  unit?: string;
  sum?: { dataPoints: NumberDataPoint[]; aggregationTemporality?: number; isMonotonic?: boolean };
  gauge?: { dataPoints: NumberDataPoint[] };
  histogram?: { dataPoints: HistogramDataPoint[] };
}
interface ExportRequest {
  resourceMetrics: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeMetrics: Array<{ metrics: OtlpMetric[] }>;
  }>;
}

export interface ReceivedPoint {
  readonly instance: string;
  readonly metric: string;
  readonly unit: string;
  readonly attributes: Record<string, string>;
  readonly value: number;
}

function plain(attributes: KeyValue[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const { key, value } of attributes ?? []) {
    out[key] = String(
      value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue ?? '',
    );
  }
  return out;
}

export interface OtlpReceiver {
  readonly endpoint: string;
  readonly requests: number;
  /** Sum over processes of the latest value of `metric` whose attributes include `match`. */
  total(metric: string, match?: Record<string, string>): number;
  units(metric: string): Set<string>;
  instances(): Set<string>;
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const latest = new Map<string, ReceivedPoint>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url !== '/v1/metrics' || !String(req.headers['content-type']).includes('json')) {
        res.writeHead(415).end();
        return;
      }
      requests += 1;
      const body = JSON.parse(Buffer.concat(chunks).toString()) as ExportRequest;
      for (const rm of body.resourceMetrics) {
        const instance = plain(rm.resource?.attributes)['service.instance.id'] ?? 'unknown';
        for (const sm of rm.scopeMetrics) {
          for (const metric of sm.metrics) {
            const points: Array<{ attributes?: KeyValue[]; value: number }> = [
              ...(metric.sum?.dataPoints ?? []).map((p) => ({
                attributes: p.attributes,
                value: Number(p.asInt ?? p.asDouble ?? 0),
              })),
              ...(metric.gauge?.dataPoints ?? []).map((p) => ({
                attributes: p.attributes,
                value: Number(p.asInt ?? p.asDouble ?? 0),
              })),
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
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get requests() {
      return requests;
    },
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
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
