/**
 * Routes the SDK's own complaints (failed exports, throwing callbacks) into our
 * JSON log, at most once per minute per message, so an unreachable collector
 * cannot flood the log.
 */
import { type DiagLogger, DiagLogLevel, diag } from '@opentelemetry/api';
import { diagLogLevelFromString } from '@opentelemetry/core';
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

type Forward = (
  level: 'warn' | 'error' | 'info' | 'debug',
  message: string,
  args: unknown[],
) => void;

function diagLoggerOf(forward: Forward): DiagLogger {
  return {
    error: (message, ...args) => forward('error', message, args),
    warn: (message, ...args) => forward('warn', message, args),
    info: (message, ...args) => forward('info', message, args),
    debug: (message, ...args) => forward('debug', message, args),
    verbose: (message, ...args) => forward('debug', message, args),
  };
}

/**
 * Holds the SDK's complaints until the log exists: the logger cannot be made
 * before the instrumentations (pino must be patched first), and reading the
 * configuration already warns. Returns what replays them.
 */
export function bufferDiagMessages(): (logger: Logger) => void {
  const held: Array<Parameters<Forward>> = [];
  diag.setLogger(
    diagLoggerOf((...message) => held.push(message)),
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
  return (logger) => {
    const log = installDiagLogger(logger);
    for (const [level, message, args] of held) log(level, message, args);
  };
}

/**
 * The SDK's diagnostics into the JSON log (`logger` is the otel component's),
 * warnings and errors rate-limited.
 * OTEL_LOG_LEVEL (read by sdk-node, which would print to the console) sets
 * the level; the default is warn.
 */
export function installDiagLogger(logger: Logger): Forward {
  const limited = createRateLimitedLog(logger);
  const forward: Forward = (level, message, args) => {
    const detail = args.length === 1 ? args[0] : args.length === 0 ? undefined : args;
    if (level === 'warn' || level === 'error') limited(level, message, detail);
    else logger[level]({ detail: describe(detail) }, message);
  };
  const level = process.env.OTEL_LOG_LEVEL;
  diag.setLogger(diagLoggerOf(forward), {
    logLevel: level ? (diagLogLevelFromString(level) ?? DiagLogLevel.WARN) : DiagLogLevel.WARN,
    suppressOverrideMessage: true,
  });
  return forward;
}
