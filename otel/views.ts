/**
 * Views for instruments the project does not create itself. Every view
 * carries METRICS_CARDINALITY_LIMIT: in the JS SDK a view's stream takes the
 * view's own limit (2000 when unset) and ignores the reader's, so a view
 * without it would escape the limit. Instruments without a view get the
 * limit from their reader (otel/metric-readers.ts).
 */
import {
  AggregationType,
  createDenyListAttributesProcessor,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';

/**
 * Third-party duration histograms whose buckets follow METRICS_DURATION_BUCKETS
 * (ours get them as advice from otel/instruments.ts). Their own advice is the
 * semantic conventions' list, which is also this project's default.
 */
const SECONDS_HISTOGRAMS = [
  'http.server.request.duration',
  'http.client.request.duration',
  'db.client.operation.duration',
];

/**
 * Outgoing requests fetch what people bookmark, private bookmarks included:
 * their host must never become a label (it would also be one series per host).
 */
const CLIENT_HOST_ATTRIBUTES = ['server.address', 'server.port'];

export function createViews(options: {
  readonly durationBuckets: readonly number[];
  readonly cardinalityLimit: number;
}): ViewOptions[] {
  return SECONDS_HISTOGRAMS.map((instrumentName) => ({
    instrumentName,
    aggregation: {
      type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
      options: { boundaries: [...options.durationBuckets] },
    },
    aggregationCardinalityLimit: options.cardinalityLimit,
    ...(instrumentName === 'http.client.request.duration'
      ? { attributesProcessors: [createDenyListAttributesProcessor(CLIENT_HOST_ATTRIBUTES)] }
      : {}),
  }));
}
