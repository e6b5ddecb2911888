/**
 * Bench-only diagnosis preload (loaded before dist/otel/register.js): the
 * same telemetry, except that instrumentation-http ignores every incoming
 * request. Without the request's span, Koa's layers are not instrumented
 * either, and no http.server.request.duration is recorded. The difference
 * to the normal server is what per-request HTTP/Koa instrumentation costs.
 */
import {
  HttpInstrumentation,
  type HttpInstrumentationConfig,
} from '@opentelemetry/instrumentation-http';

const setConfig = HttpInstrumentation.prototype.setConfig;
HttpInstrumentation.prototype.setConfig = function (config: HttpInstrumentationConfig = {}) {
  setConfig.call(this, { ...config, ignoreIncomingRequestHook: () => true });
};
