/**
 * The history behind /status with real processes: two worker processes
 * poll feeds (each adds its own minute of history to the same rows), they
 * stop, one starts again and polls more. Every poll is in the per-minute and
 * per-hour rollups exactly once, both what the database counted (polls) and
 * what each process measured (poll durations), and the page's charts add up.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { loadConfig } from '../../src/config';
import { addJob } from '../../src/jobs';
import { compactEvents } from '../../src/metrics';
import { loadStatusPage } from '../../src/status/service';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { metricValue, scrape } from '../helpers/metrics';
import { type SpawnedApp, spawnApp, waitForListening } from '../helpers/process';

let db: TestDatabase;
let site: http.Server;
let base: string;

test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
  site = http.createServer((req, res) => {
    // Slow enough that two workers of one job slot each both get polls.
    setTimeout(() => {
      res
        .writeHead(200, { 'content-type': 'application/rss+xml' })
        .end(
          `<?xml version="1.0"?><rss version="2.0"><channel><title>${req.url}</title><link>http://x/</link><description>d</description>` +
            `<item><title>A</title><link>http://x${req.url}/a</link><guid>${req.url}-a</guid></item></channel></rss>`,
        );
    }, 300);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
});
test.after.always(async () => {
  site?.close();
  await db?.close();
});

function worker(): SpawnedApp {
  return spawnApp(['worker'], {
    DATABASE_URL: db.url,
    WORKER_METRICS_PORT: '0',
    WORKER_CONCURRENCY: '1',
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    METRICS_DATABASE_GAUGE_INTERVAL: '1',
    METRICS_REPORTER_HANDOVER: '0',
  });
}

async function pollFeeds(from: number, count: number): Promise<void> {
  const ids: number[] = [];
  for (let i = from; i < from + count; i++) {
    const [row] = await db
      .knex('feeds')
      .insert({ url: `${base}/f${i}.xml` })
      .returning('id');
    ids.push(Number((row as { id: number }).id));
  }
  for (const feedId of ids) await addJob(db.knex, 'poll_feed', { feedId });
  const until = Date.now() + 60_000;
  for (;;) {
    const left = await db
      .knex('feeds')
      .whereIn('id', ids)
      .whereNull('last_polled_at')
      .count<{ n: string }[]>('* as n');
    if (Number(left[0]!.n) === 0) return;
    if (Date.now() > until) throw new Error('the workers did not poll the feeds');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function stop(processes: SpawnedApp[]): Promise<void> {
  for (const p of processes) p.child.kill('SIGTERM');
  const codes = await Promise.all(processes.map((p) => p.exited));
  if (codes.some((code) => code !== 0)) throw new Error(`a worker exited with ${codes.join(', ')}`);
}

async function rollup(name: string, resolution: 60 | 3600): Promise<number> {
  const { rows } = await db.knex.raw<{ rows: Array<{ value: number }> }>(
    'SELECT coalesce(sum(value), 0)::float8 AS value FROM metric_rollups WHERE name = ? AND resolution = ?',
    [name, resolution],
  );
  return rows[0]!.value;
}

test('two workers, a restart: every poll is in the history once', async (t) => {
  const pair = [worker(), worker()];
  t.teardown(() => {
    for (const p of pair) p.child.kill('SIGKILL');
  });
  const urls = await Promise.all(pair.map((p) => waitForListening(p, 'metrics listening')));
  await Promise.all(pair.map((p) => p.waitFor(/"msg":"worker started"/)));
  await pollFeeds(0, 6);
  // Both took part (each of its own job runs, as this process counts them).
  const runs = await Promise.all(
    urls.map(async (url) =>
      metricValue(await scrape(url), 'worker_jobs_total', {
        task: 'poll_feed',
        outcome: 'success',
      }),
    ),
  );
  t.true(
    runs.every((n) => n > 0),
    `polls per worker: ${runs.join(', ')}`,
  );
  t.is(runs[0]! + runs[1]!, 6);
  await stop(pair);
  await compactEvents(db.knex);
  for (const resolution of [60, 3600] as const) {
    t.is(await rollup('feed_polls', resolution), 6, `polls, resolution ${resolution}`);
    t.is(
      await rollup('feed_poll_duration_count', resolution),
      6,
      `durations, resolution ${resolution}`,
    );
  }

  // After a restart the history is still there, and new polls add to it.
  const again = worker();
  t.teardown(() => again.child.kill('SIGKILL'));
  await again.waitFor(/"msg":"worker started"/);
  await pollFeeds(6, 4);
  await stop([again]);
  await compactEvents(db.knex);
  for (const resolution of [60, 3600] as const) {
    t.is(await rollup('feed_polls', resolution), 10, `polls, resolution ${resolution}`);
    t.is(
      await rollup('feed_poll_duration_count', resolution),
      10,
      `durations, resolution ${resolution}`,
    );
    t.is(await rollup('feed_items_discovered', resolution), 10);
  }

  // The page's charts say the same, for the last 24 hours and 30 days.
  const config = loadConfig({ DATABASE_URL: db.url });
  const viewer = { id: 1, username: 'admin', isAdmin: true };
  for (const range of ['24h', '30d'] as const) {
    const page = await loadStatusPage({ knex: db.knex, config }, { viewer, range });
    const legend = (id: string) => page.charts.find((c) => c.spec.id === id)!.legend;
    t.deepEqual(legend('feed-polls'), [{ label: 'success', summary: '10' }], range);
    t.deepEqual(legend('poll-duration').at(-1), { label: 'observations', summary: '10' }, range);
  }
});
