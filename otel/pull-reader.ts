import { MetricReader, type MetricReaderOptions } from '@opentelemetry/sdk-metrics';

/**
 * A reader that only collects when asked: the /metrics route calls collect()
 * and renders the result itself, so it can rename to Prometheus units and
 * answer 5xx when collection fails.
 */
export class PullMetricReader extends MetricReader {
  constructor(options?: MetricReaderOptions) {
    super(options);
  }

  protected override async onForceFlush(): Promise<void> {}

  protected override async onShutdown(): Promise<void> {}
}
