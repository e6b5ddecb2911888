import type { MetricReader } from '@opentelemetry/sdk-metrics';
import type { Config } from '../src/config';

/**
 * What the bootstrap set up, for the app to read later (the /metrics route,
 * instrument helpers). Loaded before the app under CommonJS, so the app gets
 * this same module instance.
 */
export type TelemetryStatus = 'not-started' | 'sdk-disabled' | 'metrics-disabled' | 'running';

export interface TelemetryOptions {
  readonly idLabels: boolean;
  readonly durationBuckets: readonly number[];
  readonly scopeLabels: boolean;
  readonly targetInfo: boolean;
}

export interface TelemetryState {
  readonly status: TelemetryStatus;
  /** Set when Prometheus pull is enabled (OTEL_METRICS_EXPORTER has `prometheus`). */
  readonly pullReader: MetricReader | undefined;
  readonly options: TelemetryOptions;
  shutdown(): Promise<void>;
}

const initial: TelemetryState = {
  status: 'not-started',
  pullReader: undefined,
  options: { idLabels: true, durationBuckets: [], scopeLabels: false, targetInfo: true },
  shutdown: async () => {},
};

let current: TelemetryState = initial;

export function getTelemetry(): TelemetryState {
  return current;
}

export function setTelemetry(state: TelemetryState): void {
  current = state;
}

export function telemetryOptions(config: Config): TelemetryOptions {
  return {
    idLabels: config.metrics.idLabels,
    durationBuckets: config.metrics.durationBuckets,
    scopeLabels: config.metrics.scopeLabels,
    targetInfo: config.metrics.targetInfo,
  };
}
