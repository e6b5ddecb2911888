import test from 'ava';
import { loadConfig } from '../../src/config';
import { Feed } from '../../src/feeds';
import { addJob } from '../../src/jobs';
import { cronItems } from '../../tasks/cron';
import {
  type FixtureServer,
  fixture,
  serveFeed,
  startFixtureServer,
} from '../fetcher/fixture-server';
import { startTestApp, type TestApp } from '../helpers/app';
import { followFeeds } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';

let app: TestApp;
let server: FixtureServer;

test.before(async () => {
  server = await startFixtureServer();
  app = await startTestApp({
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    FEED_POLL_INTERVAL: '15',
    METRICS_ID_LABELS: 'true',
  });
  server.route('/a.xml', serveFeed(fixture('rss2.xml'), { etag: '"a1"' }));
  server.route(
    '/b.json',
    serveFeed(fixture('feed.json'), { contentType: 'application/feed+json' }),
  );
  server.route('/c.xml', (_req, res) => {
    res.statusCode = 404;
    res.end();
  });
});
test.after.always(async () => {
  await app?.stop();
  await server?.close();
});

test('the cron runs schedule_feed_polls every FEED_POLL_INTERVAL', (t) => {
  const items = cronItems(loadConfig({ FEED_POLL_INTERVAL: '15' }));
  const item = items.find((i) => i.task === 'schedule_feed_polls');
  t.truthy(item);
  t.is(item!.match, '*/15 * * * *');
});

test('schedule_feed_polls on the worker polls every due, enabled feed once, and the metrics show it', async (t) => {
  const a = await Feed.query().insert({ url: server.url('/a.xml') });
  const b = await Feed.query().insert({ url: server.url('/b.json') });
  const c = await Feed.query().insert({ url: server.url('/c.xml') });
  const off = await Feed.query().insert({ url: server.url('/off.xml'), disabled: true });
  const later = await Feed.query().insert({
    url: server.url('/later.xml'),
    next_poll_at: new Date(Date.now() + 3_600_000),
  });
  await followFeeds(app.db.knex, [a.id, b.id, c.id, off.id, later.id]);

  await addJob(app.db.knex, 'schedule_feed_polls', {});
  const deadline = Date.now() + 15_000;
  for (;;) {
    const rows = await Feed.query().findByIds([a.id, b.id, c.id]);
    if (rows.every((row) => row.last_polled_at)) break;
    if (Date.now() > deadline) throw new Error('the worker did not poll the due feeds');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  t.is((await Feed.query().findById(off.id))!.last_polled_at, null, 'disabled: not polled');
  t.is((await Feed.query().findById(later.id))!.last_polled_at, null, 'not due: not polled');
  t.is(server.requestsTo('/off.xml').length + server.requestsTo('/later.xml').length, 0);

  const metrics = await scrape(app.baseUrl);
  t.is(metricValue(metrics, 'feed_polls_total', { feed_id: a.id, status: 'success' }), 1);
  t.is(metricValue(metrics, 'feed_polls_total', { feed_id: b.id, status: 'success' }), 1);
  t.is(metricValue(metrics, 'feed_polls_total', { feed_id: c.id, status: 'not_found' }), 1);
  t.is(metricValue(metrics, 'feed_polls_total', { feed_id: off.id }), 0);
  t.is(metricValue(metrics, 'feed_items_discovered_total', { feed_id: a.id }), 2);
  t.is(metricValue(metrics, 'feed_items_discovered_total', { feed_id: b.id }), 2);
  t.is(metricValue(metrics, 'feed_poll_duration_seconds_count', { status: 'success' }), 2);
  t.is(metricValue(metrics, 'feed_poll_duration_seconds_count', { status: 'not_found' }), 1);
  t.is(metricValue(metrics, 'worker_jobs_total', { task: 'poll_feed', outcome: 'success' }), 3);
  t.is(
    metricValue(metrics, 'worker_jobs_total', { task: 'schedule_feed_polls', outcome: 'success' }),
    1,
  );
  // The database gauge is reported (read at each scrape by the one reporting process).
  t.regex(metrics, /^active_feeds \d+/m);
  // Every status label comes from the closed set.
  const statuses = new Set(
    [...metrics.matchAll(/^feed_polls_total\{[^}]*status="([^"]+)"/gm)].map((m) => m[1]),
  );
  for (const status of statuses) {
    t.true(
      [
        'success',
        'not_modified',
        'not_found',
        'gone',
        'http_error',
        'timeout',
        'too_large',
        'parse_error',
        'blocked',
        'network_error',
      ].includes(status!),
      status,
    );
  }

  // Polled feeds are not due again; running the scheduler again queues nothing new.
  const before = server.requestsTo('/a.xml').length;
  await addJob(app.db.knex, 'schedule_feed_polls', {});
  await new Promise((resolve) => setTimeout(resolve, 1500));
  t.is(server.requestsTo('/a.xml').length, before);
});
