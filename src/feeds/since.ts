/**
 * `since` as the original app took it: an ISO date or date-time, or a
 * duration back from now such as "2 days", "3h" or "1 week ago".
 */
const UNITS: Record<string, number> = {
  s: 1,
  sec: 1,
  second: 1,
  m: 60,
  min: 60,
  minute: 60,
  h: 3600,
  hr: 3600,
  hour: 3600,
  d: 86_400,
  day: 86_400,
  w: 604_800,
  week: 604_800,
  month: 2_592_000,
  y: 31_536_000,
  year: 31_536_000,
};

export function parseSince(value: string | undefined | null, now = new Date()): Date | null {
  const text = value?.trim().toLowerCase();
  if (!text) return null;
  const duration = /^(\d+)\s*([a-z]+?)s?(\s+ago)?$/.exec(text);
  if (duration) {
    const unit = UNITS[duration[2]!];
    if (unit !== undefined) return new Date(now.getTime() - Number(duration[1]) * unit * 1000);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const date = new Date(text.toUpperCase());
    if (!Number.isNaN(date.getTime())) return date;
  }
  return null;
}
