/**
 * Bench-only preload: the stock setup of OpenTelemetry's getting-started guide
 * for Node.js — NodeSDK with getNodeAutoInstrumentations() at its defaults —
 * loaded instead of dist/otel/register.js. bench/http/index.ts sets its
 * exporters to match the project's defaults (Prometheus pull on its own port,
 * no traces, no logs), so only the instrumentation set-up differs.
 */
import { getNodeAutoInstrumentations } from '@opentelemetry/auto-instrumentations-node';
import { NodeSDK } from '@opentelemetry/sdk-node';

// The guide also shuts the SDK down on SIGTERM; the app's own handler exits
// on SIGTERM here, and nothing is pushed that a shutdown would flush.
new NodeSDK({ instrumentations: [getNodeAutoInstrumentations()] }).start();
