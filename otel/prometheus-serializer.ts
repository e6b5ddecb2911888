/**
 * The exporter's PrometheusSerializer with its two per-data-point methods
 * replaced. The library escapes and sanitises every label again for every
 * line, so a histogram data point with 15 buckets pays for its labels 17
 * times; at 10 000 series that was 44 of a 49 ms scrape (docs/benchmarks.md).
 * Here a data point's label string is built once and label names are
 * sanitised once per process. The output is byte for byte the library's
 * (test/metrics/prometheus-serializer.test.ts and the scrape benchmark
 * compare them); the library still writes HELP/TYPE lines and target_info.
 *
 * If a later exporter renames these private methods, the overrides are
 * simply never called: scrapes stay correct, only slower.
 */
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import type { DataPoint, Histogram, MetricData } from '@opentelemetry/sdk-metrics';

/** Label keys come from instrument code, so this stays small (tens of names). */
const sanitizedNames = new Map<string, string>();

function sanitizeName(name: string): string {
  let out = sanitizedNames.get(name);
  if (out === undefined) {
    out = name.replace(/[^a-z0-9_]/gi, '_').replace(/_{2,}/g, '_');
    sanitizedNames.set(name, out);
  }
  return out;
}

const NEEDS_ESCAPING = /[\\\n"]/;

function escapeValue(value: AttributeValue | undefined = ''): string {
  const str = typeof value === 'string' ? value : JSON.stringify(value);
  if (!NEEDS_ESCAPING.test(str)) return str;
  return str.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function appendLabels(out: string, attributes: Attributes): string {
  for (const key of Object.keys(attributes)) {
    out += `${out ? ',' : ''}${sanitizeName(key)}="${escapeValue(attributes[key])}"`;
  }
  return out;
}

function labelString(attributes: Attributes, extra: Attributes | undefined): string {
  const own = appendLabels('', attributes);
  return extra ? appendLabels(own, extra) : own;
}

function valueString(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return `${value}`;
}

function line(name: string, labels: string, value: number): string {
  return `${labels ? `${name}{${labels}}` : name} ${valueString(value)}\n`;
}

function serializeHistogramPoint(
  name: string,
  point: DataPoint<Histogram>,
  extra: Attributes | undefined,
): string {
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
    cumulative += counts[i] ?? 0;
    const upper = boundaries[i];
    if (upper === undefined && infinite) break;
    if (upper === Number.POSITIVE_INFINITY) infinite = true;
    const le = upper === undefined || upper === Number.POSITIVE_INFINITY ? '+Inf' : String(upper);
    out += `${name}_bucket{${prefix}le="${le}"} ${valueString(cumulative)}\n`;
  }
  return out;
}

/** The private methods replaced (the library's names and signatures). */
interface DataPointMethods {
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

/** Timestamps are never appended: Prometheus assigns the scrape time. */
export function createPrometheusSerializer(options: {
  readonly targetInfo: boolean;
  readonly scopeLabels: boolean;
}): PrometheusSerializer {
  const serializer = new PrometheusSerializer(
    '',
    false,
    undefined,
    !options.targetInfo,
    !options.scopeLabels,
  );
  const methods = serializer as unknown as DataPointMethods;
  methods._serializeSingularDataPoint = (name, _data, point, extra) =>
    line(name, labelString(point.attributes, extra), point.value);
  methods._serializeHistogramDataPoint = (name, _data, point, extra) =>
    serializeHistogramPoint(name, point, extra);
  return serializer;
}
