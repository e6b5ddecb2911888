/**
 * The reporter of the database metrics, two of them on one database in this
 * process: one reports, one does not; a reporter whose session is cut
 * reports nothing from that moment; the other takes over only after the
 * hand-over delay, with the numbers the database has then.
 * (test/db-metrics/cluster.test.ts does the same with real processes and a
 * real Prometheus.)
 */

import type { MetricData } from '@opentelemetry/sdk-metrics';
import test from 'ava';
import { createLogger } from '../../src/logging/logger';
import { databaseMetrics } from '../../src/metrics';
import { type MetricsReporter, startMetricsReporter } from '../../src/metrics/reporter';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { cutReporterSession } from '../helpers/database-metrics';
import { followFeeds } from '../helpers/factories';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
});
test.after.always(async () => {
  await db?.close();
});

function reporter(handoverSeconds: number, candidate = true): MetricsReporter {
  return startMetricsReporter({
    candidate,
    url: db.url,
    knex: db.knex,
    logger: createLogger('silent'),
    intervalMs: 3_600_000,
    handoverSeconds,
    retention: { minuteHours: 48, hourDays: 35 },
    readings: {
      idLabels: false,
      cardinalityLimit: 2000,
      workerStaleSeconds: 30,
      overdueSeconds: 3600,
      migrations: [],
    },
  });
}

async function collected(): Promise<MetricData[]> {
  const result = await databaseMetrics.collect();
  return result.resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
}

function value(
  metrics: MetricData[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = metrics.filter((m) => m.descriptor.name === name);
  if (found.length === 0) return undefined;
  let sum = 0;
  for (const metric of found) {
    for (const point of metric.dataPoints) {
      const matches = Object.entries(labels).every(([k, v]) => point.attributes[k] === v);
      if (matches) sum += point.value as number;
    }
  }
  return sum;
}

test.serial(
  'one reporter reports; a cut session reports nothing; the other takes over late',
  async (t) => {
    const a = reporter(1);
    const b = reporter(1);
    t.teardown(async () => {
      await a.stop();
      await b.stop();
    });
    await a.tick();
    await b.tick();
    t.true(a.isLeader() !== b.isLeader(), 'exactly one holds the lock');
    const [leader, other] = a.isLeader() ? [a, b] : [b, a];

    const added = await db
      .knex('feeds')
      .insert([{ url: 'https://a.example/f' }, { url: 'https://b.example/f' }])
      .returning('id');
    await followFeeds(
      db.knex,
      added.map((row: { id: number }) => row.id),
    );
    let metrics = await collected();
    t.is(metrics.filter((m) => m.descriptor.name === 'active_feeds').length, 1, 'reported once');
    t.is(value(metrics, 'active_feeds'), 2);
    t.is(value(metrics, 'model_inserts', { model: 'feed' }), 2);

    // Cut the reporter's session, as a PostgreSQL restart or a failover would.
    t.is(await cutReporterSession(db.knex), 1, 'the reporter held the lock on one session');
    await db.knex('feeds').where('url', 'https://a.example/f').update({ disabled: true });
    t.deepEqual(await collected(), [], 'nothing is reported while nobody proves the lock');
    t.false(leader.isLeader());

    await other.tick();
    t.true(other.isLeader());
    t.deepEqual(await collected(), [], 'the new reporter waits out the hand-over');
    await new Promise((resolve) => setTimeout(resolve, 1100));
    metrics = await collected();
    t.is(value(metrics, 'active_feeds'), 1, 'then reports what the database says now');
    t.is(value(metrics, 'model_updates', { model: 'feed' }), 1);

    // The first reporter comes back: it finds the lock taken and stays silent.
    await leader.tick();
    t.false(leader.isLeader());
    t.is(
      (await collected()).filter((m) => m.descriptor.name === 'active_feeds').length,
      1,
      'still reported once',
    );
  },
);

test.serial('a counter series exists at 0 for each known label value', async (t) => {
  const only = reporter(0);
  t.teardown(() => only.stop());
  await only.tick();
  const metrics = await collected();
  const polls = metrics.find((m) => m.descriptor.name === 'feed_polls');
  t.truthy(polls);
  t.true(polls!.dataPoints.length >= 10);
  t.true(polls!.dataPoints.every((p) => p.value === 0));
  const waiting = metrics.find((m) => m.descriptor.name === 'worker_jobs_waiting');
  t.deepEqual(waiting!.dataPoints.map((p) => p.attributes.task).sort(), [
    'import_bookmarks',
    'poll_feed',
    'prune_old_data',
    'schedule_feed_polls',
    'unfurl_bookmark',
  ]);
});

test.serial(
  'a process that exports nothing never reports, and keeps the history for everyone',
  async (t) => {
    const silent = reporter(0, false);
    t.teardown(() => silent.stop());
    await silent.tick(); // first in: it would have won the election before
    t.false(silent.isLeader(), 'it does not stand');
    t.true(silent.isHousekeeper(), 'it keeps the history');
    t.deepEqual(await collected(), [], 'and reports nothing');

    const exporting = reporter(0);
    t.teardown(() => exporting.stop());
    await exporting.tick();
    t.true(exporting.isLeader(), 'the exporting process reports');
    t.false(exporting.isHousekeeper(), 'one process keeps the history');
    await db.knex('feeds').insert({ url: 'https://history.example/f' });
    const metrics = await collected();
    t.true((value(metrics, 'model_inserts', { model: 'feed' }) ?? 0) >= 1);

    await silent.tick();
    const left = await db.knex('metric_events').count({ events: '*' }).first();
    t.is(Number(left?.events), 0, 'the housekeeper moved the events into the totals');
    t.deepEqual(
      value(await collected(), 'model_inserts', { model: 'feed' }),
      value(metrics, 'model_inserts', { model: 'feed' }),
      'counters read the same after compaction',
    );
  },
);
