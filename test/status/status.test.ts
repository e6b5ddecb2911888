/**
 * /status over HTTP: signed-in only; a user's page shows their own numbers,
 * an admin's everyone's; the charts come from the rollups; the retry button
 * is a CSRF-protected form that queues a poll of a feed the user may see,
 * and answers 404 for one they may not. Plus the percentile arithmetic.
 */
import test from 'ava';
import { compactEvents } from '../../src/metrics';
import { setAdmin } from '../../src/status';
import { quantiles, RANGES, windowOf } from '../../src/status/series';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

async function signedIn(username: string): Promise<{ client: TestClient; id: number }> {
  const user = await aUser({ username });
  const client = new TestClient(app.baseUrl);
  const login = await client.login(username);
  if (login.status !== 302) throw new Error(`login failed: ${login.status}`);
  return { client, id: user.id };
}

async function failingFeed(url: string): Promise<number> {
  const [row] = await app.db
    .knex('feeds')
    .insert({
      url,
      error_count: 3,
      last_status: 'not_found',
      last_error: 'The server answered 404 Not Found.',
      last_polled_at: new Date(),
      next_poll_at: new Date(Date.now() + 3_600_000),
    })
    .returning('id');
  return Number((row as { id: number }).id);
}

test.serial('signed-out visitors are sent to log in', async (t) => {
  const response = await new TestClient(app.baseUrl).get('/status');
  t.is(response.status, 302);
  t.regex(response.location ?? '', /^\/auth\/login\?next=%2Fstatus/);
  const json = await fetch(`${app.baseUrl}/status`, { headers: { accept: 'application/json' } });
  t.is(json.status, 401);
});

test.serial('a user sees their own numbers, an admin everyone’s', async (t) => {
  const ann = await signedIn('ann');
  const bob = await signedIn('bob');
  for (const [who, n] of [
    [ann.id, 2],
    [bob.id, 3],
  ] as const) {
    const token = await aToken(who);
    for (let i = 0; i < n; i++) {
      const made = await api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, {
        url: `https://status.invalid/${who}/${i}`,
      });
      t.is(made.status, 201);
    }
  }
  await compactEvents(app.db.knex);

  const own = await ann.client.get('/status');
  t.is(own.status, 200);
  t.regex(own.text, /What you did here/);
  t.regex(
    own.text,
    /data-testid="legend-bookmarks-created-api">.*?<\/span>api <strong>2<\/strong>/,
  );
  t.notRegex(own.text, /data-testid="chart-feed-polls"/, 'no instance-wide charts for a user');
  t.notRegex(own.text, /data-testid="chart-http-requests"/);

  t.true(await setAdmin(app.db.knex, 'bob', true));
  const all = await bob.client.get('/status?range=30d');
  t.is(all.status, 200);
  t.regex(all.text, /for everyone \(you are an admin\)/);
  t.regex(
    all.text,
    /data-testid="legend-bookmarks-created-api">.*?<\/span>api <strong>5<\/strong>/,
  );
  for (const chart of [
    'feed-polls',
    'poll-duration',
    'jobs-waiting',
    'http-requests',
    'http-latency',
  ]) {
    t.regex(all.text, new RegExp(`data-testid="chart-${chart}"`), chart);
  }
  // The chart is an inline SVG with one bar for the bin the bookmarks fell in.
  t.regex(all.text, /<svg class="chart"[^>]*data-chart="bookmarks-created"/);
  t.regex(all.text, /<rect class="series-\d" [^>]*data-value="5"><title>api: 5 /);
  t.true(await setAdmin(app.db.knex, 'bob', false));
});

test.serial(
  'failing feeds: listed with their error and next try; retry queues a poll',
  async (t) => {
    const cat = await signedIn('cat');
    const mine = await failingFeed('https://failing.invalid/mine.xml');
    const theirs = await failingFeed('https://failing.invalid/theirs.xml');
    await app.db.knex('feed_subscriptions').insert({ user_id: cat.id, feed_id: mine });

    const page = await cat.client.get('/status');
    t.regex(page.text, new RegExp(`data-testid="failing-feed-${mine}"`));
    t.notRegex(
      page.text,
      new RegExp(`data-testid="failing-feed-${theirs}"`),
      'only feeds she may see',
    );
    t.regex(page.text, /The server answered 404 Not Found\./);
    t.regex(page.text, /data-testid="next-try">in 1 h</);

    // Without the form's token: refused, nothing queued.
    const forged = await cat.client.post(`/status/feeds/${mine}/retry`, { _csrf: 'forged' });
    t.is(forged.status, 403);
    // A feed she may not see: 404, as for a feed that does not exist.
    t.is((await cat.client.post(`/status/feeds/${theirs}/retry`)).status, 404);
    t.is((await cat.client.post('/status/feeds/abc/retry')).status, 404);
    const jobs = () =>
      app.db
        .knex('graphile_worker.jobs')
        .where('task_identifier', 'poll_feed')
        .count<{ n: string }[]>('* as n');
    t.is(Number((await jobs())[0]!.n), 0);

    const retried = await cat.client.post(`/status/feeds/${mine}/retry`, { range: '30d' });
    t.is(retried.status, 302);
    t.is(retried.location, '/status?range=30d#failing-feeds');
    t.is(Number((await jobs())[0]!.n), 1, 'a poll is queued on the worker');
    const feed = await app.db.knex('feeds').where('id', mine).first();
    t.is(feed.error_count, 0);
    t.false(feed.disabled);
    t.true(feed.next_poll_at.getTime() <= Date.now());
  },
);

test('percentiles interpolate inside a bucket, like histogram_quantile', (t) => {
  const now = new Date('2030-01-01T12:00:00Z');
  const window = windowOf(RANGES['24h'], now);
  const bucket = now; // in the last bin
  const point = (le: string, value: number) => ({
    name: 'x_bucket',
    bucket,
    labels: { le },
    value,
  });
  // 10 observations ≤ 0.1 s, 10 in (0.1, 0.25], none above.
  const points = [point('0.1', 10), point('0.25', 10), point('+Inf', 0)];
  const p50 = quantiles(window, points, 'x', 0.5);
  const p95 = quantiles(window, points, 'x', 0.95);
  const last = window.starts.length - 1;
  t.is(p50[last], 0.1);
  t.is(Math.round(p95[last]! * 1000), 235); // 0.1 + 0.15 × (19 − 10) / 10
  t.is(p50[0], null, 'no observations: no value');
});
