/**
 * Bench-only diagnosis preload (loaded before dist/otel/register.js): the
 * same telemetry without instrumentation-pg (no query spans, no
 * db.client.operation.duration). The difference to the normal server is
 * what instrumenting each query costs.
 */
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';

PgInstrumentation.prototype.enable = () => {};
