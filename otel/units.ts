/**
 * Units for instruments that follow a semantic convention but are created
 * without its unit (instrumentation-host-metrics 0.7: `process.memory.usage`
 * and `process.cpu.utilization` have none). Without the unit a collector
 * translating OTLP to Prometheus names the series `process_memory_usage`,
 * not `process_memory_usage_bytes`, and the pull and push paths disagree.
 *
 * A View cannot set a unit in the JS SDK (ViewOptions has name, description,
 * attribute processors, aggregation and cardinality limit only), so the
 * convention's unit is applied to the collected data: by the /metrics
 * endpoint before it names the series (otel/prometheus.ts), and by
 * ConventionUnitsExporter around the OTLP metric exporter.
 */
import type { ExportResult } from '@opentelemetry/core';
import type {
  AggregationOption,
  AggregationTemporality,
  InstrumentType,
  MetricData,
  PushMetricExporter,
  ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

const CONVENTION_UNITS: Readonly<Record<string, string>> = {
  'process.memory.usage': 'By',
  'process.memory.virtual': 'By',
  'process.cpu.utilization': '1',
  'system.memory.usage': 'By',
  'system.memory.utilization': '1',
  'system.cpu.utilization': '1',
};

export function withConventionUnits(rm: ResourceMetrics): ResourceMetrics {
  let changed = false;
  const scopeMetrics = rm.scopeMetrics.map((sm) => ({
    ...sm,
    metrics: sm.metrics.map((metric): MetricData => {
      const unit = CONVENTION_UNITS[metric.descriptor.name];
      if (metric.descriptor.unit || unit === undefined) return metric;
      changed = true;
      return { ...metric, descriptor: { ...metric.descriptor, unit } };
    }),
  }));
  return changed ? { ...rm, scopeMetrics } : rm;
}

/** An OTLP (or any push) exporter that sends the convention units. */
export class ConventionUnitsExporter implements PushMetricExporter {
  /** OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE is read by the inner exporter. */
  readonly selectAggregationTemporality?: (type: InstrumentType) => AggregationTemporality;
  readonly selectAggregation?: (type: InstrumentType) => AggregationOption;

  constructor(private readonly inner: PushMetricExporter) {
    this.selectAggregationTemporality = inner.selectAggregationTemporality?.bind(inner);
    this.selectAggregation = inner.selectAggregation?.bind(inner);
  }

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    this.inner.export(withConventionUnits(metrics), resultCallback);
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}
