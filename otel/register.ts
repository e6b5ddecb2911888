/**
 * Loaded with `node --require ./dist/otel/register.js` before the app, so the
 * instrumentations patch http, Koa, pg and pino before anything requires
 * them (otel/sdk.ts). With OTEL_SDK_DISABLED=true not even the SDK's modules
 * are loaded.
 */
import './compile-cache';
import { type Config, ConfigError, loadConfig } from '../src/config';
import type * as LoggerModule from '../src/logging/logger';
import type * as SdkModule from './sdk';
import { setTelemetry, telemetryOptions } from './state';

function boot(config: Config): void {
  // The rule of @opentelemetry/core's getBooleanFromEnv (only "true"), read
  // here so that a disabled SDK costs no module loading; NodeSDK itself warns
  // about values other than true and false.
  if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() !== 'true') {
    (require('./sdk') as typeof SdkModule).bootTelemetry(config);
    return;
  }
  setTelemetry({
    status: 'sdk-disabled',
    pullReader: undefined,
    options: telemetryOptions(config),
    shutdown: async () => {},
  });
  const { createLogger } = require('../src/logging/logger') as typeof LoggerModule;
  createLogger(config.logLevel, { component: 'otel' }).info(
    'OpenTelemetry SDK disabled (OTEL_SDK_DISABLED=true): no metrics, traces or log correlation',
  );
}

try {
  boot(loadConfig());
} catch (error) {
  if (error instanceof ConfigError) {
    // main.ts reports the same problems; exit here before anything else starts.
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  // Telemetry must never stop the app: log and carry on without it.
  process.stderr.write(`OpenTelemetry failed to start, continuing without it: ${String(error)}\n`);
}
