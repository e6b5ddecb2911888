/**
 * A prototype, for the scrape benchmark only: the exporter's
 * PrometheusSerializer with its two per-data-point methods replaced by ones
 * that build each data point's label string once (the library re-escapes and
 * re-sanitises every label for every bucket line) and cache sanitised label
 * names. Same output, byte for byte (the benchmark checks); if it is much
 * faster, otel/prometheus.ts can adopt it.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';

const sanitizedNames = new Map<string, string>();

function sanitizeName(name: string): string {
  let out = sanitizedNames.get(name);
  if (out === undefined) {
    out = name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
    sanitizedNames.set(name, out);
  }
  return out;
}

function escapeValue(value: AttributeValue | undefined = ''): string {
  const str = typeof value === 'string' ? value : JSON.stringify(value);
  if (!/[\\\n"]/.test(str)) return str;
  return str.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelString(attributes: Attributes, extra: Attributes | undefined): string {
  let out = '';
  for (const key in attributes) {
    out += `${out ? ',' : ''}${sanitizeName(key)}="${escapeValue(attributes[key])}"`;
  }
  if (extra) {
    for (const key in extra)
      out += `${out ? ',' : ''}${sanitizeName(key)}="${escapeValue(extra[key])}"`;
  }
  return out;
}

function valueString(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

function line(name: string, labels: string, value: number): string {
  return `${labels ? `${name}{${labels}}` : name} ${valueString(value)}\n`;
}

interface Internals {
  _appendTimestamp: boolean;
  _serializeSingularDataPoint(
    name: string,
    data: MetricData,
    point: DataPoint<number>,
    extra: Attributes | undefined,
  ): string;
  _serializeHistogramDataPoint(
    name: string,
    data: MetricData,
    point: DataPoint<Histogram>,
    extra: Attributes | undefined,
  ): string;
}

export function createFastSerializer(
  withoutTargetInfo: boolean,
  withoutScopeInfo: boolean,
): PrometheusSerializer {
  const serializer = new PrometheusSerializer(
    '',
    false,
    undefined,
    withoutTargetInfo,
    withoutScopeInfo,
  );
  const internals = serializer as unknown as Internals;
  if (internals._appendTimestamp) throw new Error('timestamps are not supported by the prototype');
  internals._serializeSingularDataPoint = (name, _data, point, extra) =>
    line(name, labelString(point.attributes, extra), point.value);
  internals._serializeHistogramDataPoint = (name, _data, point, extra) => {
    const labels = labelString(point.attributes, extra);
    const histogram = point.value;
    let out = '';
    if (histogram.count != null) out += line(`${name}_count`, labels, histogram.count);
    if (histogram.sum != null) out += line(`${name}_sum`, labels, histogram.sum);
    const prefix = labels ? `${labels},` : '';
    const { boundaries, counts } = histogram.buckets;
    let cumulative = 0;
    let infinite = false;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i]!;
      const upper = boundaries[i];
      if (upper === undefined && infinite) break;
      if (upper === Number.POSITIVE_INFINITY) infinite = true;
      const le = upper === undefined || upper === Number.POSITIVE_INFINITY ? '+Inf' : String(upper);
      out += `${name}_bucket{${prefix}le="${le}"} ${valueString(cumulative)}\n`;
    }
    return out;
  };
  return serializer;
}
