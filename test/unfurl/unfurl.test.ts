/**
 * Unfurling against a fixture HTTP server on 127.0.0.1 (the app runs with
 * FETCH_ALLOW_PRIVATE_NETWORKS=true): the unfurl_bookmark job, the quick
 * pre-fill of /bookmarks/new, and their metrics.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import { Bookmark } from '../../src/bookmarks';
import { createFetcher } from '../../src/fetcher';
import { unfurlBookmark, unfurlPage } from '../../src/unfurl';
import { type Person, person } from '../bookmarks/support';
import { startTestApp, type TestApp } from '../helpers/app';
import { metricValue, scrape } from '../helpers/metrics';

const RSS = `<?xml version="1.0"?><rss version="2.0"><channel><title>Fixture feed</title>
  <link>http://fixture/</link><description>d</description>
  <item><title>Item</title><link>http://fixture/item</link><guid>item-1</guid></item>
</channel></rss>`;

const ARTICLE = `<!doctype html><html><head>
  <title>Plain title</title>
  <meta property="og:title" content="The &lt;Fixture&gt; article">
  <meta property="og:description" content="What the page says about itself">
  <meta property="og:image" content="/cover.png">
  <meta name="author" content="Fixture Author">
  <link rel="alternate" type="application/rss+xml" href="/feed.xml">
</head><body><p>Hi</p></body></html>`;

const PLAIN = `<!doctype html><html><head><title>Links only</title></head><body>
  <a href="/not-a-feed.xml">RSS</a>
  <a href="/blog/feed/">Subscribe</a>
</body></html>`;

const routes: Record<string, (res: http.ServerResponse) => void> = {
  '/article': (res) => send(res, 200, 'text/html; charset=utf-8', ARTICLE),
  '/typed': (res) => send(res, 200, 'text/html', ARTICLE),
  '/feed.xml': (res) => send(res, 200, 'application/rss+xml', RSS),
  '/plain': (res) => send(res, 200, 'text/html', PLAIN),
  '/blog/feed/': (res) => send(res, 200, 'application/xml', RSS),
  '/not-a-feed.xml': (res) => send(res, 200, 'text/html', '<html><body>nope</body></html>'),
  '/missing': (res) => send(res, 404, 'text/html', 'gone'),
  '/picture': (res) => send(res, 200, 'image/png', 'PNGDATA'),
  '/latin1': (res) =>
    send(
      res,
      200,
      'text/html; charset=iso-8859-1',
      Buffer.from('<title>Caf\xe9 cr\xe8me</title>', 'latin1'),
    ),
  // Built to hurt the reader (test/unfurl/extract.test.ts has the shapes).
  '/hostile': (res) =>
    send(
      res,
      200,
      'text/html',
      `<title>Still readable</title>${'<span itemprop=description>'.repeat(20_000)}${'x<br>'.repeat(20_000)}${'<b>'.repeat(100_000)}${'</i>'.repeat(100_000)}`,
    ),
  '/slow': (res) => {
    setTimeout(() => send(res, 200, 'text/html', '<title>Too late</title>'), 6000).unref();
  },
};

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer) {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': type });
  res.end(body);
}

let server: http.Server;
let site: string;
let app: TestApp;
let me: Person;

test.before(async () => {
  server = http.createServer((req, res) => {
    const handler = routes[new URL(req.url ?? '/', 'http://x').pathname];
    if (handler) handler(res);
    else send(res, 404, 'text/plain', 'no');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  site = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  app = await startTestApp({
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    FETCH_TIMEOUT_MS: '2000',
    METRICS_ID_LABELS: 'true',
  });
  me = await person(app, 'unfurler');
});
test.after.always(async () => {
  await app?.stop();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

async function waitForUnfurl(url: string): Promise<Bookmark> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const row = await Bookmark.query().findOne({ owner_id: me.id, url });
    if (row?.unfurl_metadata) return row;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} was not unfurled in time`);
}

const metric = (text: string, name: string, labels: Record<string, string | number> = {}) =>
  metricValue(text, name, labels);

/**
 * A scrape once the job's after-commit metrics are in: the row is visible to
 * us a moment before the worker's connection reports the commit.
 */
async function settledScrape(ready: (text: string) => boolean): Promise<string> {
  const deadline = Date.now() + 3000;
  let text = await scrape(app.baseUrl);
  while (!ready(text) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    text = await scrape(app.baseUrl);
  }
  return text;
}

test.serial(
  'saving a bookmark unfurls it: metadata, blank fields filled, feed linked',
  async (t) => {
    const before = await scrape(app.baseUrl);
    const saved = await me.client.post('/bookmarks/new', { url: `${site}/article` });
    t.is(saved.status, 302);
    const row = await waitForUnfurl(`${site}/article`);
    t.is(row.title, 'The <Fixture> article');
    t.is(row.description, 'What the page says about itself');
    t.like(row.unfurl_metadata!, {
      title: 'The <Fixture> article',
      description: 'What the page says about itself',
      image: `${site}/cover.png`,
      author: 'Fixture Author',
      feeds: [`${site}/feed.xml`],
    });
    t.truthy(row.unfurl_metadata!.fetched_at);
    t.is(row.feed_url, `${site}/feed.xml`);
    const feed = await app.db
      .knex('feeds')
      .where({ url: `${site}/feed.xml` })
      .first();
    t.truthy(feed, 'a Feed row exists for the primary feed');

    const unfurlUpdates = (text: string) =>
      metric(text, 'bookmarks_updated_total', { user_id: me.id, operation: 'unfurl' });
    const after = await settledScrape((text) => unfurlUpdates(text) > unfurlUpdates(before));
    t.is(
      metric(after, 'unfurl_operations_total', { status: 'success' }) -
        metric(before, 'unfurl_operations_total', { status: 'success' }),
      1,
    );
    t.is(
      metric(after, 'unfurl_duration_seconds_count') -
        metric(before, 'unfurl_duration_seconds_count'),
      1,
    );
    t.is(
      metric(after, 'bookmarks_updated_total', { user_id: me.id, operation: 'unfurl' }) -
        metric(before, 'bookmarks_updated_total', { user_id: me.id, operation: 'unfurl' }),
      1,
    );
    // The page shows the unfurled title, escaped.
    t.regex((await me.client.get(`/u/${me.username}`)).text, /The &lt;Fixture&gt; article/);
  },
);

test.serial('what the owner typed is never overwritten', async (t) => {
  await me.client.post('/bookmarks/new', {
    url: `${site}/typed`,
    title: 'My own title',
    description: 'My own words',
  });
  const row = await waitForUnfurl(`${site}/typed`);
  t.is(row.title, 'My own title');
  t.is(row.description, 'My own words');
  t.is(row.unfurl_metadata!.title, 'The <Fixture> article');
});

test.serial('likely <a> feed links are kept only if they parse as a feed', async (t) => {
  await me.client.post('/bookmarks/new', { url: `${site}/plain` });
  const row = await waitForUnfurl(`${site}/plain`);
  t.deepEqual(row.unfurl_metadata!.feeds, [`${site}/blog/feed/`]);
  t.is(row.feed_url, `${site}/blog/feed/`);
  t.is(row.title, 'Links only');
});

test.serial(
  'a page that cannot be read is recorded with its status; the title stays',
  async (t) => {
    const before = await scrape(app.baseUrl);
    await me.client.post('/bookmarks/new', { url: `${site}/missing`, title: 'Kept' });
    await me.client.post('/bookmarks/new', { url: `${site}/picture` });
    const missing = await waitForUnfurl(`${site}/missing`);
    const picture = await waitForUnfurl(`${site}/picture`);
    t.is(missing.title, 'Kept');
    t.regex(missing.unfurl_metadata!.error ?? '', /HTTP 404/);
    t.regex(picture.unfurl_metadata!.error ?? '', /not an HTML page \(image\/png\)/);
    t.is(picture.feed_url, null);
    const updates = (text: string) =>
      metric(text, 'bookmarks_updated_total', { operation: 'unfurl' });
    const after = await settledScrape((text) => updates(text) - updates(before) >= 2);
    for (const status of ['http_error', 'not_html']) {
      t.is(
        metric(after, 'unfurl_operations_total', { status }) -
          metric(before, 'unfurl_operations_total', { status }),
        1,
        status,
      );
    }
    t.is(
      metric(after, 'unfurl_operations_total', { status: 'success' }) -
        metric(before, 'unfurl_operations_total', { status: 'success' }),
      0,
    );
  },
);

test.serial('an unfurl that finds nothing new changes nothing and counts no update', async (t) => {
  const row = await waitForUnfurl(`${site}/article`);
  const fetcher = createFetcher({ ...app.config.fetch });
  t.teardown(() => fetcher.close());
  const before = await scrape(app.baseUrl);
  const result = await unfurlBookmark({ knex: app.db.knex, fetcher }, { bookmarkId: row.id });
  t.deepEqual(result, { status: 'unfurled', changed: false });
  const after = await scrape(app.baseUrl);
  t.is(
    metric(after, 'bookmarks_updated_total', { operation: 'unfurl' }) -
      metric(before, 'bookmarks_updated_total', { operation: 'unfurl' }),
    0,
  );
  t.is(
    (await unfurlBookmark({ knex: app.db.knex, fetcher }, { bookmarkId: 99999999 })).status,
    'missing',
  );
});

test.serial(
  'the form pre-fills from a quick unfurl, and a slow page does not hold it up',
  async (t) => {
    const form = await me.client.get(`/bookmarks/new?url=${encodeURIComponent(`${site}/latin1`)}`);
    t.is(form.status, 200);
    t.regex(form.text, /name="title" value="Café crème"/);
    const before = await scrape(app.baseUrl);
    const started = Date.now();
    const slow = await me.client.get(`/bookmarks/new?url=${encodeURIComponent(`${site}/slow`)}`);
    const elapsed = Date.now() - started;
    t.is(slow.status, 200);
    t.regex(slow.text, /name="title" value=""/);
    // The quick unfurl gives up after FETCH_TIMEOUT_MS (2 s here), long before the page answers.
    t.true(elapsed < 4500, `the form took ${elapsed} ms`);
    const after = await scrape(app.baseUrl);
    t.is(
      metric(after, 'unfurl_operations_total', { status: 'timeout' }) -
        metric(before, 'unfurl_operations_total', { status: 'timeout' }),
      1,
    );
    // Given title and description are kept; nothing is fetched for them.
    const given = await me.client.get(
      `/bookmarks/new?url=${encodeURIComponent(`${site}/article?fresh=1`)}&title=Mine&description=Also%20mine`,
    );
    t.regex(given.text, /name="title" value="Mine"/);
  },
);

test.serial(
  'a page built to hurt the reader still pre-fills the form; the app stays up',
  async (t) => {
    const form = await me.client.get(`/bookmarks/new?url=${encodeURIComponent(`${site}/hostile`)}`);
    t.is(form.status, 200);
    t.regex(form.text, /name="title" value="Still readable"/);
    t.is((await me.client.get('/')).status, 200);
  },
);

test.serial('the fetcher refuses private addresses unless told otherwise', async (t) => {
  const guarded = createFetcher({ ...app.config.fetch, allowPrivateNetworks: false });
  t.teardown(() => guarded.close());
  const outcome = await unfurlPage(guarded, `${site}/article`);
  t.false(outcome.ok);
  t.is(!outcome.ok && outcome.status, 'blocked');
});
