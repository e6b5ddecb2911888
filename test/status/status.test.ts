/**
 * /status over HTTP: signed-in only; a user's page shows their own numbers,
 * an admin's everyone's; the charts come from the rollups; the retry button
 * is a CSRF-protected form that queues a poll of a feed the user may see,
 * and answers 404 for one they may not; the import and queue charts after an
 * import that a real worker process ran; the retention the reporter applies
 * (this app keeps 2 hours of minutes and 3 days of hours, not the defaults).
 * Plus the percentile arithmetic.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { compactEvents } from '../../src/metrics';
import { setAdmin } from '../../src/status';
import { quantiles, RANGES, windowOf } from '../../src/status/series';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { spawnApp } from '../helpers/process';
import { uploadRaw } from '../imports/support';

let app: TestApp;
let dataDir: string;
test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-status-'));
  app = await startTestApp(
    { DATA_DIR: dataDir, STATUS_MINUTE_HISTORY_HOURS: '2', STATUS_HISTORY_DAYS: '3' },
    'web',
  );
});
test.after.always(async () => {
  await app?.stop();
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
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
      poll_due_at: new Date(Date.now() + 3_600_000),
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
    t.true(feed.poll_due_at.getTime() <= Date.now(), 'due now: feeds_overdue counts from here');

    // Re-enable on /feeds does the same for a disabled feed.
    const off = await failingFeed('https://failing.invalid/disabled.xml');
    await app.db.knex('feeds').where('id', off).update({ disabled: true });
    await app.db.knex('feed_subscriptions').insert({ user_id: cat.id, feed_id: off });
    t.is((await cat.client.post(`/feeds/${off}/enable`)).status, 302);
    const enabled = await app.db.knex('feeds').where('id', off).first();
    t.false(enabled.disabled);
    t.true(enabled.next_poll_at.getTime() <= Date.now());
    t.true(enabled.poll_due_at.getTime() <= Date.now());
    t.is(Number((await jobs())[0]!.n), 2, 'its poll is queued too');
  },
);

test.serial(
  'retention: the reporter drops minutes and hours older than configured, keeps the rest',
  async (t) => {
    const knex = app.db.knex;
    const hoursAgo = (hours: number) =>
      new Date(Math.floor((Date.now() - hours * 3_600_000) / 60_000) * 60_000);
    const rows: Array<[60 | 3600, number, number]> = [
      // [resolution, age in hours, value]: minutes are kept 2 hours here…
      [60, 1, 1],
      [60, 1.9, 2],
      [60, 2.1, 3],
      [60, 30, 4], // (the default, 48 hours, would keep it)
      // …and hours 3 days.
      [3600, 30, 5],
      [3600, 71, 6],
      [3600, 73, 7],
      [3600, 240, 8], // (the default, 35 days, would keep it)
    ];
    await knex('metric_rollups').insert(
      rows.map(([resolution, hours, value]) => ({
        name: 'retention_probe',
        resolution,
        bucket: hoursAgo(hours),
        labels: {},
        user_id: 0,
        value,
      })),
    );
    const reporter = app.running.databaseMetrics.reporter;
    await reporter.tick();
    t.true(reporter.isLeader(), 'this app is the one reporter of its database');
    const left = await knex('metric_rollups')
      .where('name', 'retention_probe')
      .orderBy('value')
      .select('resolution', 'value');
    t.deepEqual(
      left.map((row: { resolution: number; value: number }) => [row.resolution, row.value]),
      [
        [60, 1],
        [60, 2],
        [3600, 5],
        [3600, 6],
      ],
    );
  },
);

test.serial(
  '“Feeds polled” and “Feeds overdue” count only the feeds the scheduler polls',
  async (t) => {
    const fay = await signedIn('fay');
    t.true(await setAdmin(app.db.knex, 'fay', true));
    const now = async () => {
      const page = await fay.client.get('/status');
      const number = (id: string) =>
        Number(new RegExp(`data-testid="${id}">(\\d+)<`).exec(page.text)?.[1]);
      return { polled: number('now-active-feeds'), overdue: number('now-overdue-feeds') };
    };
    const before = await now();
    const dayAgo = new Date(Date.now() - 86_400_000);
    const feed = async (name: string, extra: Record<string, unknown> = {}) => {
      const [row] = await app.db
        .knex('feeds')
        .insert({ url: `https://wanted.invalid/${name}.xml`, ...extra })
        .returning('id');
      return Number((row as { id: number }).id);
    };
    const followed = await feed('followed');
    // Late: followed for a day, and no poll has completed since.
    const lastPolledLongAgo = { last_polled_at: dayAgo, next_poll_at: dayAgo };
    const late = await feed('late', lastPolledLongAgo);
    const switchedOff = await feed('disabled', { disabled: true, ...lastPolledLongAgo });
    await feed('bookmarked');
    await feed('nobodys', lastPolledLongAgo);
    await app.db.knex('feed_subscriptions').insert(
      [followed, late, switchedOff].map((feed_id) => ({
        user_id: fay.id,
        feed_id,
        created_at: feed_id === followed ? new Date() : dayAgo,
      })),
    );
    await app.db.knex('bookmarks').insert({
      owner_id: fay.id,
      url: 'https://wanted.invalid/post',
      unique_hash: 'f'.repeat(64),
      feed_url: 'https://wanted.invalid/bookmarked.xml',
    });
    const after = await now();
    // followed, late and bookmarked are polled; late is overdue. Nobody wants
    // "nobodys" (however late), and the disabled one is not polled.
    t.deepEqual(
      { polled: after.polled - before.polled, overdue: after.overdue - before.overdue },
      { polled: 3, overdue: 1 },
    );
    t.true(await setAdmin(app.db.knex, 'fay', false));
  },
);

test.serial(
  'imports, their throughput and the queue depth: an import queued, then run by a worker process',
  async (t) => {
    const knex = app.db.knex;
    const gus = await signedIn('gus');
    const hal = await signedIn('hal');
    const ivy = await signedIn('ivy');
    t.true(await setAdmin(knex, 'hal', true));
    const links = [1, 2, 3].map((n) => `<DT><A HREF="https://import.invalid/${n}">Item ${n}</A>`);
    const file = `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n${links.join('\n')}\n</DL><p>\n`;
    const upload = await uploadRaw(app.baseUrl, await aToken(gus.id), file);
    t.is(upload.status, 202);

    // No worker yet (this app is web only): the import waits in the queue.
    const waiting = async () =>
      Number(
        (
          await knex('graphile_worker.jobs')
            .whereNull('locked_at')
            .where('run_at', '<=', knex.fn.now())
            .whereRaw('attempts < max_attempts')
            .count<{ n: string }[]>('* as n')
        )[0]!.n,
      );
    const queued = await waiting();
    t.true(queued >= 1);
    t.is(
      (await knex('graphile_worker.jobs').where('task_identifier', 'import_bookmarks')).length,
      1,
    );
    await app.running.databaseMetrics.reporter.tick(); // samples the queue

    const worker = spawnApp(['worker'], {
      DATABASE_URL: app.db.url,
      DATA_DIR: dataDir,
      WORKER_METRICS_PORT: '0',
    });
    t.teardown(() => worker.child.kill('SIGKILL'));
    const until = Date.now() + 60_000;
    for (;;) {
      const job = await knex('import_jobs').where('id', upload.json.id).first('status');
      if (job.status === 'completed') break;
      if (Date.now() > until) throw new Error(`the import is ${job.status}:\n${worker.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    worker.child.kill('SIGTERM');
    t.is(await worker.exited, 0);
    t.is(await waiting(), 0, 'the worker emptied the queue');
    await app.running.databaseMetrics.reporter.tick(); // moves the import's events into the rollups

    const legend = (text: string, chart: string, label: string) =>
      new RegExp(`data-testid="legend-${chart}-${label}">.*?</span>(.*?)</li>`).exec(text)?.[1];
    for (const [who, range] of [
      [gus, '24h'],
      [hal, '24h'],
      [gus, '30d'],
    ] as const) {
      const page = (await who.client.get(`/status?range=${range}`)).text;
      t.is(legend(page, 'imports', 'completed'), 'completed <strong>1</strong>', range);
      t.is(legend(page, 'import-throughput', 'created'), 'created <strong>3 records</strong>');
      t.regex(page, /data-chart="imports"[\s\S]*?<rect [^>]*data-value="1"><title>completed: 1 /);
    }
    // Three records in one 15-minute bar of the 24 hours: 0.2 a minute.
    const own = (await gus.client.get('/status')).text;
    t.regex(
      own,
      /data-chart="import-throughput"[\s\S]*?data-value="0.2"><title>created: 0.2\/min /,
    );
    t.notRegex(own, /data-testid="chart-jobs-waiting"/, 'the queue is for admins');
    // Someone who imported nothing sees no imports.
    t.is(legend((await ivy.client.get('/status')).text, 'imports', 'completed'), undefined);

    // The admin's queue chart: the most jobs waiting, as the queue held them.
    const all = (await hal.client.get('/status')).text;
    t.is(legend(all, 'jobs-waiting', 'most'), `most <strong>${queued}</strong>`);
    t.regex(
      all,
      new RegExp(`data-chart="jobs-waiting"[\\s\\S]*?<circle [^>]*data-value="${queued}">`),
    );
    t.true(await setAdmin(knex, 'hal', false));
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
