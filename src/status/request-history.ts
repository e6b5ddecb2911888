/**
 * Requests per minute, by status class, and their latency, kept for /status
 * (src/metrics/history.ts). Every web process records its own; the minutes
 * add up in the database. Independent of OpenTelemetry, so the page works
 * with telemetry off; Prometheus has the full histogram by route.
 */
import type { Middleware } from 'koa';
import { countInHistory, recordDurationInHistory } from '../metrics';

export function recordRequestHistory(skipPaths: ReadonlySet<string>): Middleware {
  return async (ctx, next) => {
    if (skipPaths.has(ctx.path)) return next();
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      // Mounted outside the error handler: the status is the one sent.
      countInHistory('http_requests', { class: `${Math.floor(ctx.status / 100)}xx` });
      recordDurationInHistory(
        'http_request_duration',
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    }
  };
}
