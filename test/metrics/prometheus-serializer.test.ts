/**
 * Our serializer (otel/prometheus-serializer.ts) must write exactly what the
 * exporter's own PrometheusSerializer writes, for every kind of data point and
 * for label values that need escaping; only faster.
 */
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import test from 'ava';
import { withPrometheusNames } from '../../otel/prometheus';
import { createPrometheusSerializer } from '../../otel/prometheus-serializer';
import { PullMetricReader } from '../../otel/pull-reader';

async function collectSample() {
  const reader = new PullMetricReader();
  const provider = new MeterProvider({ readers: [reader] });
  const meter = provider.getMeter('serializer-test', '1.2.3');
  const counter = meter.createCounter('things', { description: 'Things "counted"\nhere' });
  counter.add(3, { route: '/a', user_id: 7 });
  counter.add(1, { route: 'quote " back \\ slash \n newline', 'dotted.name': true });
  counter.add(2, { list: ['x', 'y'], 'weird-key': 'ü€' });
  counter.add(5);
  const updown = meter.createUpDownCounter('in_flight');
  updown.add(-4, { kind: 'negative' });
  const histogram = meter.createHistogram('duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.005, 0.1, 1, 10] },
  });
  for (const value of [0.001, 0.05, 0.5, 2, 50]) histogram.record(value, { route: '/h"' });
  histogram.record(0.2);
  const gauge = meter.createObservableGauge('ratio', { unit: '1' });
  gauge.addCallback((result) => {
    result.observe(0.25, { side: 'left' });
    result.observe(Number.POSITIVE_INFINITY, { side: 'inf' });
  });
  const { resourceMetrics, errors } = await reader.collect();
  await provider.shutdown();
  return { data: withPrometheusNames(resourceMetrics), errors };
}

for (const options of [
  { targetInfo: true, scopeLabels: true },
  { targetInfo: false, scopeLabels: false },
]) {
  test(`writes the exporter's output byte for byte (target_info ${options.targetInfo}, scope labels ${options.scopeLabels})`, async (t) => {
    const { data, errors } = await collectSample();
    t.deepEqual(errors, []);
    const theirs = new PrometheusSerializer(
      '',
      false,
      undefined,
      !options.targetInfo,
      !options.scopeLabels,
    ).serialize(data);
    const ours = createPrometheusSerializer(options).serialize(data);
    t.is(ours, theirs);
    // The sample really exercises escaping, histograms and infinities.
    t.true(ours.includes('route="quote \\" back \\\\ slash \\n newline"'));
    t.true(ours.includes('duration_seconds_bucket{route="/h\\"",'));
    t.true(ours.includes('le="+Inf"} 5'));
    t.true(ours.includes('ratio_ratio{side="inf"'));
    t.is(ours.includes('otel_scope_name'), options.scopeLabels);
  });
}

test('the exporter still has the two methods our serializer replaces', (t) => {
  // If an upgrade renames them, ours silently falls back to the slow path:
  // this test is what notices.
  const proto = PrometheusSerializer.prototype as unknown as Record<string, unknown>;
  t.is(typeof proto._serializeSingularDataPoint, 'function');
  t.is(typeof proto._serializeHistogramDataPoint, 'function');
  const ours = createPrometheusSerializer({
    targetInfo: true,
    scopeLabels: true,
  }) as unknown as Record<string, unknown>;
  t.not(ours._serializeHistogramDataPoint, proto._serializeHistogramDataPoint);
});
