import test from 'ava';
import { Bookmark } from '../../src/bookmarks/models';
import { Feed, FeedItem, FeedSubscription, normaliseFeedUrl } from '../../src/feeds';
import { User } from '../../src/users';
import {
  type FixtureServer,
  fixture,
  serveFeed,
  startFixtureServer,
} from '../fetcher/fixture-server';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';

let app: TestApp;
let server: FixtureServer;

test.before(async () => {
  server = await startFixtureServer();
  // The fixture server is on 127.0.0.1: this test file allows private networks.
  app = await startTestApp({ FETCH_ALLOW_PRIVATE_NETWORKS: 'true', METRICS_ID_LABELS: 'true' });
  server.route('/rss.xml', serveFeed(fixture('rss2.xml')));
  server.route(
    '/atom.xml',
    serveFeed(fixture('atom.xml'), { contentType: 'application/atom+xml' }),
  );
  server.route(
    '/feed.json',
    serveFeed(fixture('feed.json'), { contentType: 'application/feed+json' }),
  );
  server.route('/page', serveFeed(fixture('page-with-feeds.html'), { contentType: 'text/html' }));
  server.route('/plain', serveFeed(fixture('not-a-feed.html'), { contentType: 'text/html' }));
  const many = Array.from(
    { length: 30 },
    (_, i) =>
      `<item><guid>n${i}</guid><title>Item ${i}</title><link>https://many.example/${i}</link><pubDate>${new Date(Date.UTC(2024, 0, i + 1)).toUTCString()}</pubDate></item>`,
  ).join('');
  server.route(
    '/many.xml',
    serveFeed(`<rss version="2.0"><channel><title>Many</title>${many}</channel></rss>`),
  );
  server.route(
    '/xss.xml',
    serveFeed(
      '<rss version="2.0"><channel><title>1 &amp;lt; 2 &amp;amp; "three" &amp;lt;script&amp;gt;alert("feed")&amp;lt;/script&amp;gt;</title><link>javascript:alert(1)</link><item><guid>x</guid><title><![CDATA[<img src=x onerror=alert(1)>Evil]]></title><link>javascript:alert(2)</link></item></channel></rss>',
    ),
  );
  server.route('/gone.xml', serveFeed(fixture('rss2.xml')));
});
test.after.always(async () => {
  await app?.stop();
  await server?.close();
});

async function signedIn(name: string): Promise<TestClient> {
  const client = new TestClient(app.baseUrl);
  const response = await client.register(name);
  if (response.status !== 302) throw new Error(`register failed: ${response.status}`);
  return client;
}

async function waitFor<T>(what: string, check: () => Promise<T | undefined | null | false>) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const polled = (url: string) =>
  waitFor(`a poll of ${url}`, async () => {
    const feed = await Feed.query().findOne({ url });
    return feed?.last_polled_at ? feed : undefined;
  });

test('anonymous visitors are sent to log in; posts are refused', async (t) => {
  const client = new TestClient(app.baseUrl);
  const page = await client.get('/feeds');
  t.is(page.status, 302);
  t.is(page.location, '/auth/login?next=%2Ffeeds');
  t.is((await client.get('/feeds/1')).status, 302);
  const fetchResponse = await api(app.baseUrl, 'POST', '/feeds/fetch', undefined, { urls: ['x'] });
  // Without a session or token: refused by the CSRF check (403) or requireUser (401).
  t.true([401, 403].includes(fetchResponse.status), String(fetchResponse.status));
  // A form post without a session fails the CSRF check before it reaches the route.
  const post = await client.post('/feeds', { url: server.url('/never.xml') });
  t.true(post.status === 401 || post.status === 403, String(post.status));
  t.is(await Feed.query().where('url', server.url('/never.xml')).resultSize(), 0);
});

test('follow a feed by its URL; the worker polls it; items appear newest first; metrics move', async (t) => {
  const client = await signedIn('Reader1');
  // Its own URL: other tests poll /rss.xml too, and this one counts polls.
  const url = server.url('/rss.xml?reader1');
  const response = await client.post('/feeds', { url });
  t.is(response.status, 302, response.text);
  t.is(response.location, '/feeds');
  const feed = await polled(url);
  t.is(feed.last_status, 'success');

  const list = await client.get('/feeds');
  t.is(list.status, 200);
  t.regex(list.text, /You now follow/);
  t.regex(list.text, /Example &amp; Co\. Blog/);
  t.regex(list.text, new RegExp(`href="/feeds/${feed.id}"`));

  const items = await client.get(`/feeds/${feed.id}`);
  t.is(items.status, 200);
  const second = items.text.indexOf('Second post');
  const first = items.text.indexOf('First post');
  t.true(second > 0 && first > second, 'newest first');

  const metrics = await scrape(app.baseUrl);
  t.is(metricValue(metrics, 'feed_polls_total', { feed_id: feed.id, status: 'success' }), 1);
  t.is(metricValue(metrics, 'feed_items_discovered_total', { feed_id: feed.id }), 2);
  t.true(metricValue(metrics, 'feed_poll_duration_seconds_count', { status: 'success' }) >= 1);
  t.is(
    metricValue(metrics, 'worker_jobs_total', { task: 'poll_feed', outcome: 'success' }) >= 1,
    true,
  );

  const again = await client.post('/feeds', { url });
  t.is(again.status, 302);
  t.regex((await client.get('/feeds')).text, /You already follow/);
});

test('follow a page: autodiscovery skips a broken <link> and finds the Atom feed', async (t) => {
  const client = await signedIn('Reader2');
  const response = await client.post('/feeds', { url: server.url('/page') });
  t.is(response.status, 302, response.text);
  const user = await User.query().findOne({ username: 'Reader2' });
  const subscriptions = await FeedSubscription.query().where('user_id', user!.id);
  t.is(subscriptions.length, 1);
  const feed = await Feed.query().findById(subscriptions[0]!.feed_id);
  t.is(feed!.url, server.url('/atom.xml'));
});

test('a page without feeds, a 404 and an invalid address are 422 with a message saying why', async (t) => {
  const client = await signedIn('Reader3');
  const plain = await client.post('/feeds', { url: server.url('/plain') });
  t.is(plain.status, 422);
  t.regex(plain.text, /No feed found/);
  t.regex(plain.text, /value="http:\/\/127\.0\.0\.1/, 'the address is kept in the form');
  const missing = await client.post('/feeds', { url: server.url('/nothing-here') });
  t.is(missing.status, 422);
  t.regex(missing.text, /Could not fetch.*404/);
  const empty = await client.post('/feeds', { url: '' });
  t.is(empty.status, 422);
  t.regex(empty.text, /Enter the address/);
  const scheme = await client.post('/feeds', { url: 'ftp://example.com/feed' });
  t.is(scheme.status, 422);
  t.regex(scheme.text, /Only http/);
});

test('forms without a CSRF token are refused', async (t) => {
  const client = await signedIn('Reader4');
  const response = await client.post('/feeds', { url: server.url('/rss.xml') }, { csrf: false });
  t.is(response.status, 403);
});

test("another user's feed is a 404 on every route; remove works for the owner", async (t) => {
  const owner = await signedIn('Owner5');
  await owner.post('/feeds', { url: server.url('/feed.json') });
  const feed = await polled(server.url('/feed.json'));
  const stranger = await signedIn('Stranger5');
  t.is((await stranger.get(`/feeds/${feed.id}`)).status, 404);
  t.is((await stranger.post(`/feeds/${feed.id}/delete`)).status, 404);
  t.is((await stranger.post(`/feeds/${feed.id}/enable`)).status, 404);
  t.is((await owner.get('/feeds/not-a-number')).status, 404);

  t.is((await owner.get(`/feeds/${feed.id}`)).status, 200);
  const removed = await owner.post(`/feeds/${feed.id}/delete`);
  t.is(removed.status, 302);
  const list = await owner.get('/feeds');
  t.notRegex(list.text, new RegExp(`data-testid="feed-${feed.id}"`));
  t.is((await owner.get(`/feeds/${feed.id}`)).status, 404);
});

test('items are paged, 25 a page', async (t) => {
  const client = await signedIn('Reader6');
  await client.post('/feeds', { url: server.url('/many.xml') });
  const feed = await polled(server.url('/many.xml'));
  const page1 = await client.get(`/feeds/${feed.id}`);
  t.is((page1.text.match(/class="feed-item"/g) ?? []).length, 25);
  t.regex(page1.text, /Item 29/);
  t.regex(page1.text, /\?page=2/);
  const page2 = await client.get(`/feeds/${feed.id}?page=2`);
  t.is((page2.text.match(/class="feed-item"/g) ?? []).length, 5);
  t.regex(page2.text, /Item 0</);
  t.regex(page2.text, /\?page=1/);
});

test('feed text is escaped; javascript: links never become hrefs', async (t) => {
  const client = await signedIn('Reader7');
  await client.post('/feeds', { url: server.url('/xss.xml') });
  const feed = await polled(server.url('/xss.xml'));
  const list = await client.get('/feeds');
  t.false(list.text.includes('<script>alert("feed")'));
  // Text with markup characters comes out escaped; tags in titles are dropped.
  t.regex(list.text, /1 &lt; 2 &amp; &quot;three&quot;/);
  t.false(list.text.includes('alert("feed")'));
  const items = await client.get(`/feeds/${feed.id}`);
  t.false(items.text.includes('onerror=alert'));
  t.false(items.text.includes('javascript:'));
  t.regex(items.text, /Evil/);
});

test('a feed that turns 410 shows as disabled, with a Re-enable button that works', async (t) => {
  const client = await signedIn('Reader8');
  const url = server.url('/gone.xml');
  await client.post('/feeds', { url });
  const feed = await polled(url);
  t.false(feed.disabled);

  server.route('/gone.xml', (_req, res) => {
    res.statusCode = 410;
    res.end();
  });
  const poll = await client.request('POST', '/feeds/fetch', {
    body: JSON.stringify({ urls: [url] }),
    headers: { 'content-type': 'application/json', 'x-csrf-token': await client.csrf() },
  });
  t.is(poll.status, 200);
  t.false(poll.json<Record<string, { success: boolean }>>()[url]!.success);
  t.true((await Feed.query().findById(feed.id))!.disabled);

  const list = await client.get('/feeds');
  t.regex(list.text, /data-testid="disabled"/);
  t.regex(list.text, /gone \(410\)/);
  t.regex(list.text, /HTTP 410 Gone/);
  t.regex(list.text, new RegExp(`/feeds/${feed.id}/enable`));
  t.regex((await client.get(`/feeds/${feed.id}`)).text, /This feed is disabled/);

  server.route('/gone.xml', serveFeed(fixture('rss2.xml')));
  const enabled = await client.post(`/feeds/${feed.id}/enable`);
  t.is(enabled.status, 302);
  const after = await waitFor('the re-enabled feed to poll', async () => {
    const row = await Feed.query().findById(feed.id);
    return row?.last_status === 'success' ? row : undefined;
  });
  t.false(after.disabled);
  t.is(after.error_count, 0);
  t.notRegex((await client.get('/feeds')).text, /data-testid="disabled"/);
});

test('OPML import subscribes to every feed; export lists them', async (t) => {
  const client = await signedIn('Reader9');
  const csrf = await client.csrf();
  const withToken = () => {
    const form = new FormData();
    form.append('_csrf', csrf); // first, before the file, as the page's form sends it
    return form;
  };
  const form = withToken();
  form.append('opml', new Blob([fixture('opml.xml')], { type: 'text/x-opml' }), 'subs.opml');
  const imported = await client.request('POST', '/feeds/import', { body: form });
  t.is(imported.status, 302, imported.text);
  const list = await client.get('/feeds');
  t.regex(list.text, /Imported: 2 new, 0 already followed, 1 skipped/);
  t.regex(list.text, /https:\/\/blog\.example\.com\/feed\.xml/);
  t.regex(list.text, /https:\/\/atom\.example\.net\/feed\.atom/);

  const exported = await client.get('/feeds/export.opml');
  t.is(exported.status, 200);
  t.regex(exported.headers.get('content-disposition') ?? '', /attachment; filename="feeds.opml"/);
  t.regex(exported.text, /<opml version="2.0">/);
  t.regex(exported.text, /xmlUrl="https:\/\/blog\.example\.com\/feed\.xml"/);
  t.regex(exported.text, /xmlUrl="https:\/\/atom\.example\.net\/feed\.atom"/);

  const noFile = await client.request('POST', '/feeds/import', { body: withToken() });
  t.is(noFile.status, 400);
  t.regex(noFile.text, /Choose an OPML file to import/);
  const notOpml = withToken();
  notOpml.append('opml', new Blob(['<html></html>']), 'x.opml');
  const bad = await client.request('POST', '/feeds/import', { body: notOpml });
  t.is(bad.status, 422);
  t.regex(bad.text, /not OPML/);
});

test('POST /feeds/fetch polls now and answers {url: {success, fetched: {…, items}}}', async (t) => {
  const user = await aUser();
  const token = await aToken(user.id);
  const ok = server.url('/atom.xml');
  const missing = server.url('/missing-feed.xml');
  // Only the asker's own feeds are polled (docs/feeds.md): follow both first.
  for (const url of [ok, missing]) {
    const feed = await Feed.query().insert({ url: normaliseFeedUrl(url) });
    await FeedSubscription.query().insert({ user_id: user.id, feed_id: feed.id });
  }
  const response = await api(app.baseUrl, 'POST', '/feeds/fetch', token, {
    urls: [ok, missing],
    per_feed_limit: 1,
  });
  t.is(response.status, 200, JSON.stringify(response.body));
  const body = response.body as Record<
    string,
    {
      success: boolean;
      error?: string;
      fetched?: Record<string, unknown> & { items: Array<Record<string, unknown>> };
    }
  >;
  t.true(body[ok]!.success);
  const fetched = body[ok]!.fetched!;
  t.is(fetched.url, ok);
  t.is(fetched.title, 'Atom Example');
  for (const key of [
    'id',
    'newest_item_date',
    'disabled',
    'etag',
    'modified',
    'json',
    'created_at',
    'updated_at',
  ]) {
    t.true(key in fetched, key);
  }
  t.is(fetched.items.length, 1, 'per_feed_limit');
  t.is(fetched.items[0]!.title, 'Hello Atom');
  for (const key of [
    'id',
    'feed_id',
    'guid',
    'date',
    'link',
    'summary',
    'description',
    'first_seen_at',
    'last_seen_at',
    'json',
  ]) {
    t.true(key in fetched.items[0]!, key);
  }
  t.false(body[missing]!.success);
  t.regex(body[missing]!.error!, /404/);

  const invalid = await api(app.baseUrl, 'POST', '/feeds/fetch', token, { urls: 'nope' });
  t.is(invalid.status, 422);
  t.is((invalid.body as { error: { code: string } }).error.code, 'validation_failed');
});

test('POST /feeds/fetch from a session needs the CSRF header', async (t) => {
  const client = await signedIn('Reader10');
  const body = JSON.stringify({ urls: [server.url('/rss.xml')] });
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  t.is((await client.request('POST', '/feeds/fetch', { body, headers })).status, 403);
  const ok = await client.request('POST', '/feeds/fetch', {
    body,
    headers: { ...headers, 'x-csrf-token': await client.csrf() },
  });
  t.is(ok.status, 200);
});

test('GET /feeds/get answers stored data, only for feeds the asker may see', async (t) => {
  const owner = await signedIn('Reader11');
  const url = server.url('/rss.xml?reader11');
  server.route('/rss.xml', serveFeed(fixture('rss2.xml')));
  await owner.post('/feeds', { url });
  const feed = await polled(url);
  const query = `/feeds/get?urls=${encodeURIComponent(url)}&urls=${encodeURIComponent('https://unknown.example/feed')}`;

  // Followed privately: the follower sees it, an anonymous caller does not.
  const mine = (await owner.get(query)).json<
    Record<string, { success: boolean; fetched: { items: unknown[] } }>
  >();
  t.deepEqual(Object.keys(mine), [url]);
  t.true(mine[url]!.success);
  t.is(mine[url]!.fetched.items.length, 2);
  const anonymous = new TestClient(app.baseUrl);
  t.deepEqual((await anonymous.get(query)).json(), {});

  // A public bookmark linking to it makes it public.
  const user = await User.query().findOne({ username: 'Reader11' });
  await Bookmark.query().insert({
    owner_id: user!.id,
    url: 'https://blog.example.com/',
    unique_hash: 'a'.repeat(64),
    feed_url: feed.url,
    private: false,
  });
  const publicAnswer = (await anonymous.get(`${query}&per_feed_limit=1`)).json<
    Record<string, { fetched: { items: unknown[] } }>
  >();
  t.is(publicAnswer[url]!.fetched.items.length, 1);

  const since = (await anonymous.get(`${query}&since=2024-01-02`)).json<
    Record<string, { fetched: { items: Array<{ title: string }> } }>
  >();
  t.deepEqual(
    since[url]!.fetched.items.map((i) => i.title),
    ['Second post'],
  );
  const future = (await anonymous.get(`${query}&since=2999-01-01`)).json();
  t.deepEqual(future, {});
  const badSince = await anonymous.get(`${query}&since=whenever`);
  t.is(badSince.status, 422);
  t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 2);
});

test("feeds of the user's bookmarks are listed with a Follow button; others' are not", async (t) => {
  const client = await signedIn('Reader12');
  const other = await signedIn('Other12');
  const user = (await User.query().findOne({ username: 'Reader12' }))!;
  const otherUser = (await User.query().findOne({ username: 'Other12' }))!;
  const mine = await Feed.query().insert({ url: server.url('/feed.json?reader12') });
  const theirs = await Feed.query().insert({ url: server.url('/feed.json?other12') });
  await Bookmark.query().insert({
    owner_id: user.id,
    url: 'https://json.example.com/',
    unique_hash: 'c'.repeat(64),
    feed_url: mine.url,
    private: true,
  });
  await Bookmark.query().insert({
    owner_id: otherUser.id,
    url: 'https://json.example.com/',
    unique_hash: 'd'.repeat(64),
    feed_url: theirs.url,
    private: true,
  });
  const list = await client.get('/feeds');
  t.regex(list.text, /Feeds of your bookmarks/);
  t.regex(list.text, new RegExp(`data-testid="bookmark-feed-${mine.id}"`));
  t.notRegex(list.text, new RegExp(`bookmark-feed-${theirs.id}`));
  t.is((await client.get(`/feeds/${mine.id}`)).status, 200, 'a bookmark gives access');
  t.is(
    (await client.get(`/feeds/${theirs.id}`)).status,
    404,
    "another's private bookmark does not",
  );
  t.notRegex((await other.get('/feeds')).text, new RegExp(`bookmark-feed-${mine.id}`));

  const followed = await client.post('/feeds', { url: mine.url });
  t.is(followed.status, 302);
  const after = await client.get('/feeds');
  t.regex(after.text, new RegExp(`data-testid="feed-${mine.id}"`));
  t.notRegex(after.text, new RegExp(`bookmark-feed-${mine.id}`));
});
