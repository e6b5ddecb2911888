/**
 * Scrape cost: /metrics latency (p50/p99) and body size with ~1 000 and
 * ~10 000 series, against the same server with only the default series.
 * The server is bench/scrape/server.ts (real telemetry bootstrap, real
 * metrics endpoint); the scraper is autocannon with one connection in a
 * second process, as Prometheus scrapes one request at a time.
 */
import { type LoadResult, runLoad } from '../lib/load';
import { freePort } from '../lib/ports';
import { type Child, spawnNode } from '../lib/process';
import { log, Recorder, runBench } from '../lib/results';
import { round } from '../lib/stats';

const WARM_SECONDS = Number(process.env.BENCH_WARM_SECONDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const SIZES = [
  { key: '1k', series: 1_000 },
  { key: '10k', series: 10_000 },
] as const;

interface Scrape {
  readonly load: LoadResult;
  readonly bytes: number;
  readonly series: number;
}

async function measure(synthetic: number): Promise<Scrape> {
  const port = await freePort();
  const server: Child = spawnNode('dist/bench/scrape/server.js', [String(synthetic)], {
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'false' },
  });
  try {
    await server.waitFor(/scrape bench server listening/);
    const url = `http://127.0.0.1:${port}/metrics`;
    const response = await fetch(url);
    const body = await response.text();
    if (response.status !== 200) throw new Error(`/metrics answered ${response.status}: ${body}`);
    const series = body.split('\n').filter((line) => line && !line.startsWith('#')).length;
    await runLoad({ url, seconds: WARM_SECONDS, connections: 1 });
    const load = await runLoad({ url, seconds: SECONDS, connections: 1 });
    if (load.non2xx > 0 || load.errors > 0)
      throw new Error(`failed scrapes: ${JSON.stringify(load)}`);
    log(
      `${series} series: p50 ${load.p50Ms} ms, p99 ${load.p99Ms} ms, ${Buffer.byteLength(body)} bytes, ${round(load.rps)} scrapes/s`,
    );
    return { load, bytes: Buffer.byteLength(body), series };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<void> {
  const rec = new Recorder('scrape', 'Scrape cost (/metrics)', 'npm run bench:scrape');
  rec.method.push(
    "Server: bench/scrape/server.ts — the app's telemetry bootstrap (--require dist/otel/register.js) and its real metrics endpoint (createMetricsApp), no database; synthetic series recorded through otel/instruments.ts helpers: 20 % counter series, 80 % histogram series (14 buckets + +Inf, _sum, _count per data point), 10 instruments of each kind, 3 labels.",
    `Scraper: autocannon, 1 connection (scrapes are sequential), ${WARM_SECONDS} s warm-up then ${SECONDS} s measured, separate process. "Series" = sample lines in the exposition.`,
    'Baseline: the same server with only the default series (runtime, process, telemetry self-metrics).',
  );
  const base = await measure(0);
  rec.raw.baseline = base;
  for (const size of SIZES) {
    const run = await measure(size.series);
    rec.raw[size.key] = run;
    const baseLabel = `${base.series} default series`;
    rec.add({
      id: `scrape.${size.key}.p50`,
      label: `/metrics p50 latency, ${run.series} series`,
      unit: 'ms',
      value: run.load.p50Ms,
      baseline: { label: baseLabel, value: base.load.p50Ms },
      target: size.key === '10k' ? { on: 'value', op: '<', threshold: 50 } : undefined,
      detail: `${round(run.load.rps)} scrapes/s`,
    });
    rec.add({
      id: `scrape.${size.key}.p99`,
      label: `/metrics p99 latency, ${run.series} series`,
      unit: 'ms',
      value: run.load.p99Ms,
      baseline: { label: baseLabel, value: base.load.p99Ms },
    });
    rec.add({
      id: `scrape.${size.key}.bytes`,
      label: `/metrics body size, ${run.series} series`,
      unit: 'KiB',
      value: run.bytes / 1024,
      baseline: { label: baseLabel, value: base.bytes / 1024 },
      detail: `${round(run.bytes / run.series)} bytes/series, uncompressed`,
    });
  }
  rec.write();
}

runBench(main);
