import { spawn } from 'node:child_process';
import path from 'node:path';
import test from 'ava';
import { feedsAdd, feedsPoll } from '../../src/cli/commands/feeds';
import { UsageError } from '../../src/cli/errors';
import { Feed, FeedSubscription } from '../../src/feeds';
import { createLogger } from '../../src/logging/logger';
import { projectRoot } from '../../src/paths';
import {
  type FixtureServer,
  fixture,
  serveFeed,
  startFixtureServer,
} from '../fetcher/fixture-server';
import { startTestApp, type TestApp } from '../helpers/app';
import { aUser } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';

let app: TestApp;
let server: FixtureServer;

test.before(async () => {
  server = await startFixtureServer();
  app = await startTestApp({ FETCH_ALLOW_PRIVATE_NETWORKS: 'true', METRICS_ID_LABELS: 'true' });
  server.route('/cli.xml', serveFeed(fixture('rss2.xml'), { etag: '"cli"' }));
  server.route(
    '/cli-page',
    serveFeed(fixture('page-with-feeds.html'), { contentType: 'text/html' }),
  );
  server.route('/atom.xml', serveFeed(fixture('atom.xml')));
});
test.after.always(async () => {
  await app?.stop();
  await server?.close();
});

/** `npm run cli -- …` as a separate process on the test app's database. */
function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join('dist', 'src', 'cli', 'index.js'), ...args], {
      cwd: projectRoot,
      env: {
        ...process.env,
        DATABASE_URL: app.db.url,
        FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
        LOG_LEVEL: 'error',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

test.serial(
  'feeds:add follows a feed and a page, and waits for the worker to poll them',
  async (t) => {
    const user = await aUser({ username: 'cli_reader' });
    const url = server.url('/cli.xml');
    const result = await cli('feeds:add', 'cli_reader', url, server.url('/cli-page'));
    t.is(result.code, 0, result.stderr);
    t.regex(result.stdout, new RegExp(`Following ${url}`));
    t.regex(
      result.stdout,
      new RegExp(`Following ${server.url('/atom.xml')}`),
      'found from the page',
    );
    t.regex(result.stdout, /cli\.xml {2}success {2}2 new items/);
    const feed = (await Feed.query().findOne({ url }))!;
    t.is(await FeedSubscription.query().where({ user_id: user.id }).resultSize(), 2);
    // The poll ran on the worker: it is counted on the worker's /metrics.
    const metrics = await scrape(app.baseUrl);
    t.is(metricValue(metrics, 'feed_polls_total', { feed_id: feed.id, status: 'success' }), 1);
  },
);

test.serial('feeds:poll <url> polls one feed now (a conditional GET: not_modified)', async (t) => {
  const url = server.url('/cli.xml');
  const result = await cli('feeds:poll', url);
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, /cli\.xml {2}not_modified {2}0 new items/);
  const feed = (await Feed.query().findOne({ url }))!;
  const metrics = await scrape(app.baseUrl);
  t.is(metricValue(metrics, 'feed_polls_total', { feed_id: feed.id, status: 'not_modified' }), 1);
});

test.serial('feeds:poll --all --no-wait queues a poll per enabled feed and returns', async (t) => {
  const enabled = await Feed.query().where('disabled', false).resultSize();
  const result = await cli('feeds:poll', '--all', '--no-wait');
  t.is(result.code, 0, result.stderr);
  t.regex(result.stdout, new RegExp(`Queued ${enabled} polls`));
});

test.serial('a URL that cannot be added exits 1 and says why', async (t) => {
  const missing = await cli('feeds:add', 'cli_reader', server.url('/nope.xml'));
  t.is(missing.code, 1);
  t.regex(missing.stdout, /not added: Could not fetch .*404/);
  t.regex(missing.stderr, /1 of 1 URLs were not added/);
});

test('usage mistakes are UsageErrors (exit 2), checked before any work', async (t) => {
  const lines: string[] = [];
  const ctx = {
    config: app.config,
    logger: createLogger('silent'),
    db: app.running.db,
    print: (line: string) => lines.push(line),
  };
  await t.throwsAsync(feedsAdd(['no_such_user', server.url('/cli.xml')], ctx), {
    instanceOf: UsageError,
    message: /no user called no_such_user/,
  });
  await t.throwsAsync(feedsAdd(['cli_reader'], ctx), { instanceOf: UsageError });
  await t.throwsAsync(feedsPoll([], ctx), { instanceOf: UsageError });
  await t.throwsAsync(feedsPoll(['--all', server.url('/cli.xml')], ctx), {
    instanceOf: UsageError,
  });
  await t.throwsAsync(feedsPoll(['https://unknown.example/feed'], ctx), {
    instanceOf: UsageError,
    message: /feeds:add/,
  });
  await t.throwsAsync(feedsPoll(['--all', '--timeout', 'soon'], ctx), {
    instanceOf: UsageError,
  });
  t.deepEqual(lines, []);
});
