/** Longest pause between polls of a failing feed. */
export const MAX_BACKOFF_MS = 24 * 3600 * 1000;

/**
 * When to poll next. A healthy feed (errorCount 0) waits one interval; each
 * consecutive failure doubles it (1, 2, 4 … intervals, at most a day). A
 * server's Retry-After is honoured when it asks for longer.
 */
export function nextPollDelayMs(options: {
  readonly errorCount: number;
  readonly intervalMinutes: number;
  readonly retryAfterSeconds?: number | null;
}): number {
  const interval = options.intervalMinutes * 60_000;
  const exponent = Math.max(0, Math.min(options.errorCount - 1, 30));
  const backoff = Math.min(interval * 2 ** exponent, Math.max(MAX_BACKOFF_MS, interval));
  const retryAfter = (options.retryAfterSeconds ?? 0) * 1000;
  return Math.max(backoff, retryAfter);
}
