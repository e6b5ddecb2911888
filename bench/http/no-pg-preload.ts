/**
 * Bench-only diagnosis preload (loaded before dist/otel/register.js): the
 * same telemetry without query timing (otel/pg-metrics.ts, or
 * instrumentation-pg when tracing), so no db.client.operation.duration. The
 * difference to the normal server is what timing each query costs.
 */
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { PgMetricsInstrumentation } from '../../otel/pg-metrics';

PgInstrumentation.prototype.enable = () => {};
PgMetricsInstrumentation.prototype.enable = () => {};
