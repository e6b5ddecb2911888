/**
 * Process facts a Prometheus user expects from any target (the Prometheus
 * client libraries' `process_start_time_seconds`, `process_open_fds`,
 * `process_max_fds`) that neither instrumentation-host-metrics nor
 * -runtime-node reports.
 *
 * The semantic conventions call the descriptor count
 * `process.unix.file_descriptor.count`; its Prometheus name would end in
 * `_count`, which Prometheus reserves for histograms and summaries (promtool
 * rejects it on a gauge), so the Prometheus clients' names are used. The file
 * descriptor gauges read /proc and exist on Linux only: elsewhere they are
 * absent rather than wrong.
 */
import fs from 'node:fs';
import type { Meter } from '@opentelemetry/api';

const FD_DIR = '/proc/self/fd';
const LIMITS_FILE = '/proc/self/limits';

export function startProcessMetrics(meter: Meter): void {
  const startTime = meter.createObservableGauge('process.start_time', {
    description: 'Start time of the process since the Unix epoch.',
    unit: 's',
  });
  // performance.timeOrigin is when this process started, in epoch milliseconds.
  const started = performance.timeOrigin / 1000;
  startTime.addCallback((result) => result.observe(started));

  if (!fs.existsSync(FD_DIR)) return;
  const open = meter.createObservableGauge('process.open_fds', {
    description: 'Open file descriptors of the process.',
    unit: '{file_descriptor}',
  });
  const max = meter.createObservableGauge('process.max_fds', {
    description: 'Maximum number of open file descriptors (the soft limit).',
    unit: '{file_descriptor}',
  });
  const limit = maxOpenFiles();
  open.addCallback((result) => {
    // The directory listing holds one descriptor of its own while it is read.
    result.observe(fs.readdirSync(FD_DIR).length - 1);
  });
  if (limit !== undefined) max.addCallback((result) => result.observe(limit));
}

function maxOpenFiles(): number | undefined {
  try {
    const line = fs
      .readFileSync(LIMITS_FILE, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    const n = Number(soft);
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
