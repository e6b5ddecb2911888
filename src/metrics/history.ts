/**
 * What a process measures itself (HTTP requests, poll and job durations, job
 * outcomes) kept per minute for the status page: added up in memory and
 * written to metric_rollups once a minute, added to what other processes
 * wrote. This is history for a page, not a counter: a process that crashes
 * loses at most its last minute of it, which the page can bear and which is
 * why none of it is exported to Prometheus from here.
 *
 * Durations are kept as bucket counts (`<name>_bucket` with `le`, not
 * cumulative) plus `<name>_count` and `<name>_sum`, so percentiles can be
 * computed over any span of minutes or hours.
 */
import type { Knex } from 'knex';
import type { Logger } from '../logging/logger';
import { type RollupRow, writeRollups } from './rollups';

/** Fixed so that stored history stays comparable whatever the configuration. */
export const HISTORY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;

/** More keys than this in memory means nobody flushes (a CLI process): the oldest go. */
const MAX_ENTRIES = 20_000;

interface Entry {
  readonly name: string;
  readonly minute: number;
  readonly labels: Readonly<Record<string, string>>;
  value: number;
}

const entries = new Map<string, Entry>();

function add(name: string, labels: Readonly<Record<string, string>>, value: number): void {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  const key = `${minute}\u0000${name}\u0000${JSON.stringify(labels)}`;
  const found = entries.get(key);
  if (found) {
    found.value += value;
    return;
  }
  if (entries.size >= MAX_ENTRIES) {
    const oldest = entries.keys().next().value;
    if (oldest !== undefined) entries.delete(oldest);
  }
  entries.set(key, { name, minute, labels, value });
}

/** Counts `value` occurrences of an event this minute. */
export function countInHistory(
  name: string,
  labels: Readonly<Record<string, string>> = {},
  value = 1,
): void {
  if (Number.isFinite(value) && value > 0) add(name, labels, value);
}

/** Records one duration (seconds) this minute. */
export function recordDurationInHistory(name: string, seconds: number): void {
  if (!Number.isFinite(seconds) || seconds < 0) return;
  const le = HISTORY_BUCKETS.find((bound) => seconds <= bound);
  add(`${name}_bucket`, { le: le === undefined ? '+Inf' : String(le) }, 1);
  add(`${name}_count`, {}, 1);
  add(`${name}_sum`, {}, seconds);
}

/** Takes everything recorded so far, as minute and hour rows. */
export function drainHistory(): RollupRow[] {
  const minutes = [...entries.values()];
  entries.clear();
  const rows: RollupRow[] = [];
  const hours = new Map<string, RollupRow & { value: number }>();
  for (const entry of minutes) {
    rows.push({ ...entry, resolution: 60, bucket: new Date(entry.minute), userId: 0 });
    const hour = Math.floor(entry.minute / 3_600_000) * 3_600_000;
    const key = `${hour}\u0000${entry.name}\u0000${JSON.stringify(entry.labels)}`;
    const found = hours.get(key);
    if (found) found.value += entry.value;
    else
      hours.set(key, {
        name: entry.name,
        labels: entry.labels,
        resolution: 3600,
        bucket: new Date(hour),
        userId: 0,
        value: entry.value,
      });
  }
  return [...rows, ...hours.values()];
}

export interface HistoryFlusher {
  flush(): Promise<void>;
  stop(): Promise<void>;
}

/** Writes the history every `intervalMs`, and once more when stopped. */
export function startHistoryFlusher(options: {
  readonly knex: Knex;
  readonly logger: Logger;
  readonly intervalMs?: number;
}): HistoryFlusher {
  const log = options.logger.child({ component: 'metric-history' });
  let pending: RollupRow[] = [];
  const flush = async () => {
    pending = [...pending, ...drainHistory()];
    if (pending.length === 0) return;
    try {
      await writeRollups(options.knex, pending);
      pending = [];
    } catch (error) {
      // Kept for the next attempt, within bounds: history is not worth memory.
      if (pending.length > MAX_ENTRIES) pending = pending.slice(-MAX_ENTRIES);
      log.warn({ err: error }, 'could not write the metric history; will retry');
    }
  };
  const timer = setInterval(() => void flush(), options.intervalMs ?? 60_000);
  timer.unref();
  return {
    flush,
    async stop() {
      clearInterval(timer);
      await flush();
    },
  };
}
