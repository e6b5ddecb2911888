/**
 * Loaded with `node --require ./dist/otel/register.js` before the app, so the
 * instrumentations patch http, Koa and pg before anything requires them.
 * Imports only the config and the logger, never Koa or the database.
 */
import './compile-cache';
import { ConfigError, loadConfig } from '../src/config';
import { createLogger } from '../src/logging/logger';
import { startTelemetry } from './sdk';

try {
  const config = loadConfig();
  startTelemetry(config, createLogger(config.logLevel, { component: 'otel' }));
} catch (error) {
  if (error instanceof ConfigError) {
    // main.ts reports the same problems; exit here before anything else starts.
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  // Telemetry must never stop the app: log and carry on without it.
  process.stderr.write(`OpenTelemetry failed to start, continuing without it: ${String(error)}\n`);
}
