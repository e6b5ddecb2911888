/**
 * SIGTERM is orderly: the request and the job in flight finish, then the
 * process exits 0. A slow feed server holds both in flight: POST /feeds/fetch
 * waits for the poll job, and the poll job waits for the feed.
 */
import http from 'node:http';
import test from 'ava';
import { Feed, FeedItem, FeedSubscription, normaliseFeedUrl } from '../../src/feeds';
import { api } from '../helpers/client';
import { createTestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { spawnApp, waitForListening } from '../helpers/process';

const RSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Slow</title><link>http://x/</link>
<description>d</description><item><title>One</title><link>http://x/1</link><guid>slow-1</guid></item></channel></rss>`;

test('SIGTERM lets the in-flight request and job finish, then exits 0', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.close());
  let requested!: () => void;
  const feedRequested = new Promise<void>((resolve) => {
    requested = resolve;
  });
  const feedServer = http.createServer((_req, res) => {
    requested();
    setTimeout(() => res.writeHead(200, { 'content-type': 'application/rss+xml' }).end(RSS), 2500);
  });
  await new Promise<void>((resolve) => feedServer.listen(0, '127.0.0.1', resolve));
  t.teardown(() => feedServer.close());
  const feedUrl = `http://127.0.0.1:${(feedServer.address() as { port: number }).port}/feed.xml`;

  const app = spawnApp(['all'], {
    DATABASE_URL: db.url,
    WORKER_METRICS_PORT: '0',
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
  });
  t.teardown(() => app.child.kill('SIGKILL'));
  const baseUrl = await waitForListening(app);
  const user = await aUser();
  const token = await aToken(user.id);
  // POST /feeds/fetch polls only the caller's own feeds: follow it (rows only, no poll yet).
  const followed = await Feed.query().insert({ url: normaliseFeedUrl(feedUrl) });
  await FeedSubscription.query().insert({ user_id: user.id, feed_id: followed.id });

  const inFlight = api(baseUrl, 'POST', '/feeds/fetch', token, { urls: [feedUrl] });
  await feedRequested;
  app.child.kill('SIGTERM');

  const response = await inFlight;
  t.is(response.status, 200, JSON.stringify(response.body));
  t.is((response.body as Record<string, { success: boolean }>)[feedUrl]?.success, true);
  t.is(await app.exited, 0, app.output());
  t.regex(app.output(), /"msg":"shutting down"[\s\S]*"msg":"worker stopped"[\s\S]*"msg":"stopped"/);

  const feed = await Feed.query().findOne({ url: feedUrl });
  t.is(feed?.last_status, 'success');
  t.is(await FeedItem.query().where({ feed_id: feed!.id }).resultSize(), 1);
  const { rows } = await db.knex.raw<{ rows: Array<{ n: number }> }>(
    'select count(*)::int as n from graphile_worker.jobs where locked_at is not null',
  );
  t.is(rows[0]!.n, 0, 'no job left locked by the stopped worker');
});
