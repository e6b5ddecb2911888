import test from 'ava';
import { createHostLimiter, Feed, scheduleFeedPolls } from '../../src/feeds';
import { nextPollDelayMs } from '../../src/feeds/backoff';
import { feedPollCronPattern, pollJobKey } from '../../src/feeds/scheduler';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { reportDatabaseMetrics } from '../helpers/database-metrics';
import { followFeeds } from '../helpers/factories';
import { metricValue } from '../helpers/metrics';
import { aFeed, aFollowedFeed, feedsConfig, metricsText } from './helpers';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

async function pollJobs(): Promise<Array<{ key: string; feedId: number }>> {
  const { rows } = await db.knex.raw<{ rows: Array<{ key: string; payload: { feedId: number } }> }>(
    // The public jobs view has no payload column; the test reads the table behind it.
    `select j.key, j.payload from graphile_worker._private_jobs j
       join graphile_worker._private_tasks t on t.id = j.task_id
      where t.identifier = 'poll_feed' order by j.id`,
  );
  return rows.map((r) => ({ key: r.key, feedId: r.payload.feedId }));
}

test.serial(
  'the scheduler queues one job per due, enabled feed, keyed, and never twice',
  async (t) => {
    const now = new Date();
    const due = await aFollowedFeed('https://due.example/feed', {
      next_poll_at: new Date(now.getTime() - 60_000),
    });
    const dueToo = await aFollowedFeed('https://due2.example/feed', { next_poll_at: now });
    await aFollowedFeed('https://later.example/feed', {
      next_poll_at: new Date(now.getTime() + 3_600_000),
    });
    await aFollowedFeed('https://off.example/feed', { next_poll_at: new Date(0), disabled: true });

    const first = await scheduleFeedPolls({ knex: db.knex, config: feedsConfig, now });
    t.is(first.queued, 2);
    const jobs = await pollJobs();
    t.deepEqual(jobs.map((j) => j.feedId).sort(), [due.id, dueToo.id].sort());
    t.deepEqual(jobs.map((j) => j.key).sort(), [pollJobKey(due.id), pollJobKey(dueToo.id)].sort());
    // The feeds are leased one interval ahead, so the next run does not queue them again…
    const leased = (await Feed.query().findById(due.id))!;
    t.is(leased.next_poll_at.getTime(), now.getTime() + 30 * 60_000);
    const second = await scheduleFeedPolls({ knex: db.knex, config: feedsConfig, now });
    t.is(second.queued, 0);
    // …and even if one is due again while its job waits, the job key keeps it at one job.
    await Feed.query()
      .patch({ next_poll_at: new Date(0) })
      .where('id', due.id);
    const third = await scheduleFeedPolls({ knex: db.knex, config: feedsConfig, now });
    t.is(third.queued, 1);
    t.is((await pollJobs()).filter((j) => j.feedId === due.id).length, 1);
    await db.knex.raw('delete from graphile_worker._private_jobs');
  },
);

test.serial(
  'a feed polled just after the last run is picked up by the next one (slack)',
  async (t) => {
    const now = new Date();
    const soon = await aFollowedFeed('https://soon.example/feed', {
      next_poll_at: new Date(now.getTime() + 20_000),
    });
    const result = await scheduleFeedPolls({ knex: db.knex, config: feedsConfig, now });
    t.is(result.queued, 1);
    t.deepEqual(
      (await pollJobs()).map((j) => j.feedId),
      [soon.id],
    );
    await db.knex.raw('delete from graphile_worker._private_jobs');
  },
);

test('cron patterns for FEED_POLL_INTERVAL', (t) => {
  t.is(feedPollCronPattern(30), '*/30 * * * *');
  t.is(feedPollCronPattern(1), '*/1 * * * *');
  t.is(feedPollCronPattern(120), '0 */2 * * *');
  t.is(feedPollCronPattern(1440), '0 0 * * *');
});

test('backoff doubles per consecutive failure, capped at a day, and honours Retry-After', (t) => {
  const delay = (errorCount: number, retryAfterSeconds?: number) =>
    nextPollDelayMs({ errorCount, intervalMinutes: 30, retryAfterSeconds }) / 60_000;
  t.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 20].map((n) => delay(n)),
    [30, 30, 60, 120, 240, 480, 960, 1440, 1440],
  );
  t.is(delay(1, 3 * 3600), 180);
  t.is(delay(4, 60), 240, 'a short Retry-After does not shorten the backoff');
});

test('the per-host limiter allows N at once per host, others run freely', async (t) => {
  const limiter = createHostLimiter(2);
  let running = 0;
  let peak = 0;
  const task = async () => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, 20));
    running--;
  };
  await Promise.all(Array.from({ length: 7 }, () => limiter.run('Busy.example', task)));
  t.is(peak, 2);
  t.is(limiter.active('busy.example'), 0);

  peak = 0;
  await Promise.all([
    limiter.run('a.example', task),
    limiter.run('a.example', task),
    limiter.run('b.example', task),
    limiter.run('c.example', task),
  ]);
  t.is(peak, 4, 'different hosts do not wait for each other');
  // A failing task frees its place.
  await t.throwsAsync(limiter.run('x.example', async () => Promise.reject(new Error('boom'))));
  t.is(limiter.active('x.example'), 0);
});

test.serial('active_feeds is the number of enabled feeds at each collection', async (t) => {
  const reporter = await reportDatabaseMetrics(db);
  t.teardown(() => reporter.stop());
  const before = metricValue(await metricsText(), 'active_feeds');
  const enabled = await db
    .knex('feeds')
    .where('disabled', false)
    .whereExists((q) => q.from('feed_subscriptions').whereRaw('feed_id = feeds.id'))
    .count<{ count: number }[]>('* as count');
  t.is(before, Number(enabled[0]!.count));
  const feed = await aFollowedFeed('https://gauge.example/feed');
  await aFollowedFeed('https://gauge-off.example/feed', { disabled: true });
  await aFeed('https://gauge-nobody.example/feed');
  t.is(metricValue(await metricsText(), 'active_feeds'), before + 1);
  await Feed.query().patch({ disabled: true }).where('id', feed.id);
  t.is(metricValue(await metricsText(), 'active_feeds'), before);
});

test.serial('only feeds someone follows or has bookmarked are polled and counted', async (t) => {
  const now = new Date();
  const due = { next_poll_at: new Date(now.getTime() - 60_000) };
  const nobodys = await aFeed('https://nobody.example/feed', due);
  const bookmarked = await aFeed('https://bookmarked.example/feed', due);
  const followed = await aFollowedFeed('https://followed.example/feed', due);
  const owner = await followFeeds(db.knex, []);
  await db.knex('bookmarks').insert({
    owner_id: owner,
    url: 'https://bookmarked.example/',
    unique_hash: 'b'.repeat(64),
    feed_url: bookmarked.url,
  });
  const reporter = await reportDatabaseMetrics(db);
  t.teardown(() => reporter.stop());
  const active = metricValue(await metricsText(), 'active_feeds');

  const result = await scheduleFeedPolls({ knex: db.knex, config: feedsConfig, now });
  const queued = (await pollJobs()).map((j) => j.feedId);
  t.true(queued.includes(followed.id) && queued.includes(bookmarked.id));
  t.false(queued.includes(nobodys.id), 'a feed nobody follows or bookmarked is not polled');
  t.is(result.queued, queued.length);

  // Followed again, it is due at once: it was never leased.
  await followFeeds(db.knex, [nobodys.id]);
  t.is(metricValue(await metricsText(), 'active_feeds'), active + 1);
  await scheduleFeedPolls({ knex: db.knex, config: feedsConfig, now });
  t.true((await pollJobs()).some((j) => j.feedId === nobodys.id));
  await db.knex.raw('delete from graphile_worker._private_jobs');
});
