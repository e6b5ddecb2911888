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
import { loadConfig } from '../../src/config';
import { scheduleFeedPolls } from '../../src/feeds/scheduler';
import { createLogger } from '../../src/logging/logger';
import { databaseMetrics } from '../../src/metrics';
import { type MetricsReporter, startMetricsReporter } from '../../src/metrics/reporter';
import { readEveryoneNow } from '../../src/status/queries';
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
      pollIntervalSeconds: 1800,
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

test.serial(
  'feeds_overdue counts a feed no poll completes for while the scheduler runs, not one backing off',
  async (t) => {
    const only = reporter(0); // poll interval 30 min, margin 1 h
    t.teardown(() => only.stop());
    await only.tick();
    const overdue = async () => value(await collected(), 'feeds_overdue');
    const base = await overdue();
    const feed = async (url: string, row: Record<string, unknown>) => {
      const [added] = await db
        .knex('feeds')
        .insert({ url, ...row })
        .returning('id');
      await followFeeds(db.knex, [added.id]);
      await db
        .knex('feed_subscriptions')
        .where('feed_id', added.id)
        .update({ created_at: db.knex.raw("now() - interval '2 days'") });
      return added.id as number;
    };
    const ago = (sql: string) => db.knex.raw(`now() - interval '${sql}'`);
    const ahead = (sql: string) => db.knex.raw(`now() + interval '${sql}'`);
    // Polled 3 h ago, due 2.5 h ago: its polls are queued but never complete.
    await feed('https://stuck.example/feed', {
      last_polled_at: ago('3 hours'),
      next_poll_at: ago('150 minutes'),
      poll_due_at: ago('150 minutes'),
    });
    // Failed 4 times in a row: it waits 30 min × 2³ = 4 h before the next poll.
    await feed('https://backing-off.example/feed', {
      error_count: 4,
      last_polled_at: ago('3 hours'),
      next_poll_at: ahead('1 hour'),
      poll_due_at: ahead('1 hour'),
    });
    // Its server asked (Retry-After) for two days.
    await feed('https://retry-after.example/feed', {
      error_count: 1,
      last_polled_at: ago('3 hours'),
      next_poll_at: ahead('2 days'),
      poll_due_at: ahead('2 days'),
    });
    // Two days ago its server asked for two days: the wait ends in 10 minutes,
    // far past its backoff, and it is still waiting as asked.
    await feed('https://retry-after-ending.example/feed', {
      error_count: 1,
      last_polled_at: ago('2 days'),
      next_poll_at: ahead('10 minutes'),
      poll_due_at: ahead('10 minutes'),
    });
    // The same wait ended 2 h ago and the polls since never completed.
    await feed('https://retry-after-then-stuck.example/feed', {
      error_count: 1,
      last_polled_at: ago('50 hours'),
      next_poll_at: ago('2 hours'),
      poll_due_at: ago('2 hours'),
    });
    // Never polled, followed a moment ago.
    const fresh = await feed('https://fresh.example/feed', {});
    await db
      .knex('feed_subscriptions')
      .where('feed_id', fresh)
      .update({ created_at: db.knex.raw('now()') });

    const config = { feeds: { ...loadConfig().feeds, pollIntervalMinutes: 30 } };
    const { queued } = await scheduleFeedPolls({ knex: db.knex, config });
    t.true(queued >= 2, 'the scheduler queued the stuck and the fresh feed');
    t.is(
      await overdue(),
      (base ?? 0) + 2,
      'the stuck feeds are overdue, although their leases are ahead',
    );
    const status = await readEveryoneNow(db.knex, {
      workerStaleSeconds: 30,
      overdueSeconds: 3600,
      pollIntervalSeconds: 1800,
    });
    t.is(status.overdueFeeds, (base ?? 0) + 2, '/status says the same');

    // The poll completes (a failure counts: it was polled).
    await db
      .knex('feeds')
      .whereIn('url', ['https://stuck.example/feed', 'https://retry-after-then-stuck.example/feed'])
      .update({
        last_polled_at: db.knex.raw('now()'),
        error_count: 1,
        next_poll_at: ahead('30 minutes'),
        poll_due_at: ahead('30 minutes'),
      });
    t.is(await overdue(), base);
  },
);
