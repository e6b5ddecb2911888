/**
 * Routes the SDK's own complaints (failed exports, throwing callbacks) into our
 * JSON log, at most once per minute per message, so an unreachable collector
 * cannot flood the log.
 */
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import type { Logger } from '../src/logging/logger';

const WINDOW_MS = 60_000;

export function createRateLimitedLog(logger: Logger, windowMs = WINDOW_MS) {
  const lastSeen = new Map<string, number>();
  const suppressed = new Map<string, number>();
  return (level: 'warn' | 'error', message: string, detail?: unknown): void => {
    const key = message.slice(0, 120);
    const now = Date.now();
    const last = lastSeen.get(key) ?? 0;
    if (now - last < windowMs) {
      suppressed.set(key, (suppressed.get(key) ?? 0) + 1);
      return;
    }
    lastSeen.set(key, now);
    const skipped = suppressed.get(key) ?? 0;
    suppressed.delete(key);
    if (lastSeen.size > 1000) lastSeen.clear();
    logger[level]({ detail: describe(detail), suppressed: skipped }, message);
  };
}

function describe(detail: unknown): unknown {
  if (detail instanceof Error) return { name: detail.name, message: detail.message };
  return detail;
}

export function installDiagLogger(logger: Logger): ReturnType<typeof createRateLimitedLog> {
  const log = createRateLimitedLog(logger.child({ component: 'otel' }));
  const forward =
    (level: 'warn' | 'error') =>
    (message: string, ...args: unknown[]) =>
      log(level, message, args.length === 1 ? args[0] : args);
  const diagLogger: DiagLogger = {
    error: forward('error'),
    warn: forward('warn'),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  diag.setLogger(diagLogger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  return log;
}
