/**
 * Loaded with `node --require ./dist/otel/register.js` before the app, so the
 * instrumentations patch http, Koa, pg and pino before anything requires
 * them. The order below matters: the pino instrumentation is made before the
 * logger module is loaded, and the SDK's warnings are held until the log
 * exists.
 */
import './compile-cache';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import { type Config, ConfigError, loadConfig } from '../src/config';
import type * as LoggerModule from '../src/logging/logger';
import { bufferDiagMessages } from './diag-logger';
import { createPinoInstrumentation } from './instrumentations';
import { rememberDisabled, startTelemetry } from './sdk';
import { readTelemetrySettings } from './settings';

function loadLoggerModule(): typeof LoggerModule {
  return require('../src/logging/logger') as typeof LoggerModule;
}

function boot(config: Config): void {
  // The same rule as @opentelemetry/core's getBooleanFromEnv (only "true"),
  // read before anything is patched; NodeSDK warns about other values.
  if (process.env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') {
    rememberDisabled(config);
    const { createLogger } = loadLoggerModule();
    createLogger(config.logLevel, { component: 'otel' }).info(
      'OpenTelemetry SDK disabled (OTEL_SDK_DISABLED=true): no metrics, traces or log correlation',
    );
    return;
  }
  const replayDiag = bufferDiagMessages();
  const settings = readTelemetrySettings();
  const first: Instrumentation[] = [];
  const pino = createPinoInstrumentation(settings);
  if (pino) first.push(pino);
  const { createLogger } = loadLoggerModule();
  const logger = createLogger(config.logLevel).child({ component: 'otel' });
  replayDiag(logger);
  for (const warning of config.warnings) logger.warn(warning);
  startTelemetry(config, settings, logger, first);
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
