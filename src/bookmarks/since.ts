/**
 * `?since=` as people write it: an ISO date ("2024-05-01"), an ISO date-time,
 * or a duration back from now ("2 days", "3h", "1 week", "90 minutes ago").
 */
const UNIT_SECONDS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^(s|secs?|seconds?)$/, 1],
  [/^(m|mins?|minutes?)$/, 60],
  [/^(h|hrs?|hours?)$/, 3600],
  [/^(d|days?)$/, 86_400],
  [/^(w|wks?|weeks?)$/, 7 * 86_400],
  [/^(mo|months?)$/, 30 * 86_400],
  [/^(y|yrs?|years?)$/, 365 * 86_400],
];

const DURATION = /^(\d{1,6})\s*([a-z]+)(\s+ago)?$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

export const SINCE_HELP =
  'Use an ISO date (2024-05-01), a date-time (2024-05-01T12:00:00Z) or a duration such as "2 days" or "3h".';

/** The moment `since` names, or undefined when it is not something we understand. */
export function parseSince(input: string, now: Date = new Date()): Date | undefined {
  const text = input.trim().toLowerCase();
  if (ISO_DATE.test(text)) return validDate(new Date(`${text}T00:00:00Z`));
  if (ISO_DATE_TIME.test(text)) return validDate(new Date(text.replace(' ', 'T').toUpperCase()));
  const match = DURATION.exec(text);
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = UNIT_SECONDS.find(([pattern]) => pattern.test(match[2]!));
  if (!unit) return undefined;
  return validDate(new Date(now.getTime() - amount * unit[1] * 1000));
}

function validDate(date: Date): Date | undefined {
  return Number.isNaN(date.getTime()) ? undefined : date;
}
