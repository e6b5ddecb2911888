/**
 * Scrape cost: /metrics latency (p50/p99) and body size with ~1 000 and
 * ~10 000 series, against the same server with only the default series.
 * The server is bench/scrape/server.ts (real telemetry bootstrap, real
 * metrics endpoint); the scraper is autocannon with one connection in a
 * second process, as Prometheus scrapes one request at a time.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type LoadResult, runLoad } from '../lib/load';
import { freePort } from '../lib/ports';
import { type Child, spawnNode } from '../lib/process';
import {
  formatProfile,
  monotonicUs,
  newestProfile,
  type ProfileWindow,
  summarizeProfile,
} from '../lib/profile';
import { log, RESULTS_DIR, Recorder, runBench } from '../lib/results';
import { round } from '../lib/stats';
import type { Breakdown } from './breakdown';

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
  readonly breakdown: Breakdown;
}

function startServer(synthetic: number, port: number, nodeArgs: string[] = []): Child {
  return spawnNode('dist/bench/scrape/server.js', [String(synthetic)], {
    env: { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'false' },
    nodeArgs,
  });
}

/** A CPU profile of the server under back-to-back scrapes (for a missed target). */
async function profileScrapes(synthetic: number): Promise<string[]> {
  const dir = path.join(RESULTS_DIR, 'profiles', 'scrape');
  fs.rmSync(dir, { recursive: true, force: true });
  const port = await freePort();
  const server = startServer(synthetic, port, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let window: ProfileWindow = {};
  try {
    await server.waitFor(/scrape bench server listening/);
    const url = `http://127.0.0.1:${port}/metrics`;
    await runLoad({ url, seconds: WARM_SECONDS, connections: 1 });
    const fromUs = monotonicUs();
    await runLoad({ url, seconds: 5, connections: 1 });
    window = { fromUs, toUs: monotonicUs() };
  } finally {
    await server.stop();
  }
  const file = newestProfile(dir);
  if (!file) return ['(no profile was written)'];
  return [
    `CPU profile of the server during 5 s of back-to-back scrapes at ${synthetic} synthetic series (${path.relative(process.cwd(), file)}):`,
    ...formatProfile(summarizeProfile(file, 30, window)),
  ];
}

async function measure(synthetic: number): Promise<Scrape> {
  const port = await freePort();
  const server = startServer(synthetic, port);
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
    const breakdown = (await (
      await fetch(`http://127.0.0.1:${port}/bench/breakdown?rounds=10`)
    ).json()) as Breakdown;
    return { load, bytes: Buffer.byteLength(body), series, breakdown };
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
    const b = run.breakdown;
    rec.notes.push(
      `${run.series} series, inside the server (medians of 10): collect() ${round(b.collectMs, 1)} ms; renaming to Prometheus units ${round(b.renameMs, 2)} ms; the exporter's PrometheusSerializer ${round(b.serializeMs, 1)} ms; gzip ${round(b.gzipMs, 1)} ms (${round(b.bytes / 1024)} KiB to ${round(b.gzipBytes / 1024)} KiB); the rest of the scrape is HTTP and the endpoint. The measured scrapes ask for no compression.`,
    );
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
    rec.add({
      id: `scrape.${size.key}.serialize`,
      label: `serialisation inside the server (the exporter's PrometheusSerializer), ${run.series} series`,
      unit: 'ms',
      value: b.serializeMs,
      baseline: { label: 'collect()', value: b.collectMs },
    });
    rec.add({
      id: `scrape.${size.key}.gzip`,
      label: `/metrics body size gzipped (Accept-Encoding: gzip), ${run.series} series`,
      unit: 'KiB',
      value: b.gzipBytes / 1024,
      baseline: { label: 'uncompressed', value: b.bytes / 1024 },
      detail: `gzip takes ${round(b.gzipMs, 1)} ms`,
    });
  }
  if (rec.figures.some((f) => f.met === false)) {
    const big = rec.raw['10k'] as Scrape;
    rec.notes.push(
      `What stands in the way at ${big.series} series: of the ${big.load.p50Ms} ms p50, collect() takes ${round(big.breakdown.collectMs, 1)} ms and serialisation ${round(big.breakdown.serializeMs, 1)} ms; the profile below shows the rest.`,
    );
    log('target missed: profiling the 10 000-series server');
    rec.notes.push(...(await profileScrapes(SIZES[1].series)));
  }
  rec.write();
}

runBench(main);
