/** What the status template shows: charts as SVG markup, feeds and numbers as text. */
import { renderChart } from './charts';
import type { FailingFeedRow } from './queries';
import type { StatusChart } from './service';

export function presentChart(chart: StatusChart) {
  return {
    id: chart.spec.id,
    title: chart.spec.title,
    // Markup built by renderChart, which escapes every text it writes.
    svg: renderChart(chart.spec),
    legend: chart.legend.map((entry, i) => ({ ...entry, className: `series-${i % 6}` })),
  };
}

/** "in 5 min", "3 h ago": how far a time is from now. */
export function relativeTime(date: Date | null, now: Date): string | null {
  if (!date) return null;
  const seconds = Math.round((date.getTime() - now.getTime()) / 1000);
  const size = Math.abs(seconds);
  const text =
    size < 60
      ? `${size} s`
      : size < 3600
        ? `${Math.round(size / 60)} min`
        : size < 172_800
          ? `${Math.round(size / 3600)} h`
          : `${Math.round(size / 86_400)} days`;
  if (size < 5) return 'now';
  return seconds > 0 ? `in ${text}` : `${text} ago`;
}

export function presentFailingFeed(row: FailingFeedRow, now: Date) {
  return {
    id: row.id,
    name: row.title || row.url,
    url: row.url,
    status: row.last_status ?? 'unknown',
    error: row.last_error ?? '',
    failures: row.error_count,
    followers: row.followers,
    lastPolled: relativeTime(row.last_polled_at, now) ?? 'never',
    nextTry: row.disabled
      ? 'not any more: disabled'
      : row.next_poll_at <= now
        ? 'due now'
        : relativeTime(row.next_poll_at, now),
    disabled: row.disabled,
  };
}
