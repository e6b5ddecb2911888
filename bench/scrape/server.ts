/**
 * Bench-only metrics server: `node --require ./dist/otel/register.js
 * dist/bench/scrape/server.js <series>`. Boots telemetry like the app, records
 * about <series> synthetic Prometheus series (counters and histograms with
 * attribute sets, through the app's own instrument helpers), then serves the
 * real metrics endpoint (createMetricsApp). No database.
 */
import { createCounter, createSecondsHistogram } from '../../otel/instruments';
import { getTelemetry } from '../../otel/state';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging/logger';
import { listen } from '../../src/runtime/http-server';
import { createMetricsApp } from '../../src/web/app';
import { measureBreakdown } from './breakdown';

const INSTRUMENTS = 10;
/** A histogram data point is one line per bucket (boundaries + +Inf), plus _sum and _count. */
const COUNTER_SHARE = 0.2;

type Label = 'route' | 'method' | 'status_code';
const LABELS: readonly Label[] = ['route', 'method', 'status_code'];

function attributes(i: number): Record<Label, string> {
  return {
    route: `/bench/resource-${Math.floor(i / 4)}/:id`,
    method: ['GET', 'POST', 'PUT', 'DELETE'][i % 4]!,
    status_code: String(200 + (i % 3)),
  };
}

function recordSeries(total: number, boundaries: number): { counters: number; histograms: number } {
  const perHistogramPoint = boundaries + 1 + 2;
  const counterSets = Math.round((total * COUNTER_SHARE) / INSTRUMENTS);
  const histogramSets = Math.round((total * (1 - COUNTER_SHARE)) / perHistogramPoint / INSTRUMENTS);
  for (let n = 0; n < INSTRUMENTS; n++) {
    const counter = createCounter<Label>({
      name: `bench.synthetic.requests.${n}`,
      description: 'Synthetic counter for the scrape benchmark',
      labels: LABELS,
    });
    for (let i = 0; i < counterSets; i++) counter.add(1 + (i % 7), attributes(i));
    const histogram = createSecondsHistogram<Label>({
      name: `bench.synthetic.duration.${n}`,
      description: 'Synthetic histogram for the scrape benchmark',
      labels: LABELS,
    });
    for (let i = 0; i < histogramSets; i++) {
      for (let k = 0; k < 5; k++)
        histogram.record(0.001 * (1 + ((i * 7 + k * 13) % 4000)), attributes(i));
    }
  }
  return { counters: counterSets * INSTRUMENTS, histograms: histogramSets * INSTRUMENTS };
}

async function main(): Promise<void> {
  const series = Number(process.argv[2] ?? '0');
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const made = recordSeries(series, config.metrics.durationBuckets.length);
  const app = createMetricsApp({ config, logger });
  // Bench-only: where the time of a scrape goes (see breakdown.ts). Mounted
  // in front of the real endpoint, which serves everything else.
  app.middleware.unshift(async (ctx, next) => {
    if (ctx.path !== '/bench/breakdown') return next();
    const telemetry = getTelemetry();
    if (!telemetry.pullReader) {
      ctx.status = 404;
      return;
    }
    ctx.body = await measureBreakdown(
      telemetry.pullReader,
      telemetry.options,
      Number(ctx.query.rounds ?? 10),
    );
  });
  const server = await listen(app, config.port, config.host);
  process.stdout.write(
    `${JSON.stringify({ msg: 'scrape bench server listening', port: server.port, ...made })}\n`,
  );
  const stop = () => void server.close(1000).then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
