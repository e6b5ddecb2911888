/**
 * How the database metrics reach the exporters: an OpenTelemetry
 * MetricProducer, given to every metric reader (`metricProducers`, the SDK's
 * public way to add metrics that the SDK does not aggregate itself).
 *
 * Not observable instruments: with cumulative temporality (the only one the
 * Prometheus exporter uses) the JS SDK keeps exporting an observable's last
 * value after the callback stops observing it (opentelemetry-js #4096), so a
 * process that lost the reporter's lock would go on reporting its last
 * numbers and a sum across processes would count them twice. A producer
 * answers each collection afresh: what the reporter proved and read for this
 * collection, or nothing at all — the series then really leave the export.
 *
 * Part of the telemetry bootstrap (it is loaded before the app and imports
 * nothing of it but the version); src/metrics/reporter.ts attaches the
 * reporter's reading to it.
 */

import { resourceFromAttributes } from '@opentelemetry/resources';
import type { MetricData, MetricProducer } from '@opentelemetry/sdk-metrics';
import { version } from '../src/version';

/** Answers the database metrics of one collection, or [] (never throws). */
export type MetricSource = () => Promise<readonly MetricData[]>;

const SCOPE = { name: 'pebbling-club', version };
const NO_RESOURCE = resourceFromAttributes({});

class DatabaseMetricProducer implements MetricProducer {
  private readonly sources = new Set<MetricSource>();

  /** Adds a source; the returned function removes it. */
  attach(source: MetricSource): () => void {
    this.sources.add(source);
    return () => this.sources.delete(source);
  }

  async collect() {
    const answers = await Promise.all([...this.sources].map((source) => source().catch(() => [])));
    const metrics = answers.flat();
    return {
      // The reader puts the SDK's resource on these: this one is ignored.
      resourceMetrics: {
        resource: NO_RESOURCE,
        scopeMetrics: metrics.length > 0 ? [{ scope: SCOPE, metrics }] : [],
      },
      errors: [],
    };
  }
}

/** The one producer; the bootstrap passes it to each reader it builds. */
export const databaseMetrics = new DatabaseMetricProducer();
