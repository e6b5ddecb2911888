/** Longest wait we accept from a server: a week, so a typo cannot park a feed forever. */
const MAX_RETRY_AFTER_SECONDS = 7 * 24 * 3600;

/**
 * Retry-After is either delta-seconds or an HTTP-date. Returns whole seconds
 * from `now` (never negative, at most a week), or null when absent or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now = new Date()): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (text === '') return null;
  let seconds: number;
  if (/^\d+$/.test(text)) {
    seconds = Number(text);
  } else {
    // An HTTP-date has a weekday and month name; "-5" or "1e3" is junk, not a date.
    if (!/[a-z]{3}/i.test(text)) return null;
    const at = Date.parse(text);
    if (Number.isNaN(at)) return null;
    seconds = Math.ceil((at - now.getTime()) / 1000);
  }
  return Math.min(Math.max(seconds, 0), MAX_RETRY_AFTER_SECONDS);
}
