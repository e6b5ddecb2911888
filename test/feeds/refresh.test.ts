import zlib from 'node:zlib';
import test, { type ExecutionContext } from 'ava';
import { Bookmark } from '../../src/bookmarks/models';
import { Feed, FeedItem, type FeedPollStatus, refreshFeed } from '../../src/feeds';
import { createFetcher, type Fetcher } from '../../src/fetcher';
import {
  type FixtureServer,
  fixture,
  serveFeed,
  startFixtureServer,
} from '../fetcher/fixture-server';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aUser } from '../helpers/factories';
import {
  aFeed,
  feedsConfig,
  guardedFetcher,
  openFetcher,
  pollCounters,
  uniquePath,
} from './helpers';

// Every test is serial: the duration histogram is per status, shared by all feeds here.

let db: TestDatabase;
let server: FixtureServer;
let fetcher: Fetcher;

test.before(async () => {
  db = await createTestDatabase();
  server = await startFixtureServer();
  fetcher = openFetcher();
});
test.after.always(async () => {
  await fetcher?.close();
  await server?.close();
  await db?.close();
});

const deps = (overrides: { fetcher?: Fetcher; now?: () => Date } = {}) => ({
  knex: db.knex,
  fetcher: overrides.fetcher ?? fetcher,
  config: feedsConfig,
  now: overrides.now,
});

/** A feed served at a fresh path; returns the feed row and its URL. */
async function feedAt(handler: Parameters<FixtureServer['route']>[1]) {
  const path = uniquePath('feed');
  server.route(path, handler);
  const feed = await aFeed(server.url(path));
  return { feed, path };
}

/** Polls once and checks the outcome, the row and that the metrics moved by exactly one. */
async function pollExpecting(
  t: ExecutionContext,
  feedId: number,
  status: FeedPollStatus,
  overrides: { fetcher?: Fetcher; now?: () => Date } = {},
) {
  const before = await pollCounters(feedId);
  const outcome = await refreshFeed(deps(overrides), { feedId });
  const after = await pollCounters(feedId);
  t.is(outcome.status, status, outcome.error ?? undefined);
  t.is(after.polls(status) - before.polls(status), 1, `feed_polls_total{status="${status}"} +1`);
  t.is(after.durations(status) - before.durations(status), 1, 'one duration observation');
  const row = (await Feed.query().findById(feedId))!;
  t.is(row.last_status, status);
  t.truthy(row.last_polled_at);
  return { outcome, row, before, after };
}

for (const [name, type] of [
  ['rss2.xml', 'application/rss+xml'],
  ['rss1.rdf', 'application/rdf+xml'],
  ['atom.xml', 'application/atom+xml'],
  ['feed.json', 'application/feed+json'],
] as const) {
  test.serial(
    `${name}: a poll stores the feed and its items, and counts them as discovered`,
    async (t) => {
      const { feed } = await feedAt(serveFeed(fixture(name), { contentType: type }));
      const { outcome, row, before, after } = await pollExpecting(t, feed.id, 'success');
      t.is(outcome.newItems, 2);
      t.is(after.discovered() - before.discovered(), 2);
      t.truthy(row.title);
      t.truthy(row.newest_item_date);
      t.is(row.error_count, 0);
      t.is(row.last_error, null);
      t.true(row.next_poll_at.getTime() > Date.now() + 29 * 60_000);
      t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 2);
    },
  );
}

test.serial(
  'ETag round trip: stored, sent back, 304 is not_modified and changes nothing',
  async (t) => {
    const { feed, path } = await feedAt(serveFeed(fixture('rss2.xml'), { etag: '"abc"' }));
    const { row: polled } = await pollExpecting(t, feed.id, 'success');
    t.is(polled.etag, '"abc"');
    // The due time feeds_overdue reads: what the poll decided, as next_poll_at.
    t.deepEqual(polled.poll_due_at, polled.next_poll_at);
    const later = new Date(Date.now() + 60_000);
    const { outcome, after, row } = await pollExpecting(t, feed.id, 'not_modified', {
      now: () => later,
    });
    t.deepEqual(row.poll_due_at, row.next_poll_at);
    t.true(row.poll_due_at!.getTime() > polled.poll_due_at!.getTime(), 'a 304 moves it too');
    t.is(outcome.newItems, 0);
    t.is(server.requestsTo(path).at(-1)!.headers['if-none-match'], '"abc"');
    t.is(after.discovered(), 2);
    t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 2);
  },
);

test.serial(
  'Last-Modified round trip: stored, sent as If-Modified-Since, 304 is not_modified',
  async (t) => {
    const lastModified = 'Mon, 01 Jan 2024 00:00:00 GMT';
    const { feed, path } = await feedAt(serveFeed(fixture('atom.xml'), { lastModified }));
    await pollExpecting(t, feed.id, 'success');
    t.is((await Feed.query().findById(feed.id))!.modified, lastModified);
    await pollExpecting(t, feed.id, 'not_modified');
    t.is(server.requestsTo(path).at(-1)!.headers['if-modified-since'], lastModified);
  },
);

test.serial('repeated polls never duplicate items; only new ones are counted', async (t) => {
  let body = fixture('rss2.xml').toString();
  const { feed } = await feedAt((_req, res) => {
    res.setHeader('Content-Type', 'application/rss+xml');
    res.end(body);
  });
  const first = await pollExpecting(t, feed.id, 'success');
  t.is(first.outcome.newItems, 2);
  for (let i = 0; i < 3; i++) {
    const again = await pollExpecting(t, feed.id, 'success');
    t.is(again.outcome.newItems, 0);
    t.is(again.after.discovered() - again.before.discovered(), 0);
  }
  t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 2);

  // A third item appears and an old one is edited: one new, one updated, still no duplicate.
  body = body
    .replace(
      '<item>',
      '<item><title>Third</title><guid>post-3</guid><pubDate>Wed, 03 Jan 2024 00:00:00 GMT</pubDate></item><item>',
    )
    .replace('First post', 'First post (edited)');
  const third = await pollExpecting(t, feed.id, 'success');
  t.is(third.outcome.newItems, 1);
  t.is(third.after.discovered() - third.before.discovered(), 1);
  const items = await FeedItem.query().where('feed_id', feed.id).orderBy('guid');
  t.deepEqual(
    items.map((i) => [i.guid, i.title]),
    [
      ['post-1', 'First post (edited)'],
      ['post-2', 'Second post'],
      ['post-3', 'Third'],
    ],
  );
});

test.serial('items without ids get the same fallback guid on every poll', async (t) => {
  const { feed } = await feedAt(serveFeed(fixture('no-ids.xml')));
  await pollExpecting(t, feed.id, 'success');
  await pollExpecting(t, feed.id, 'success');
  t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 2);
});

test.serial('at most FEED_MAX_ITEMS items are taken per poll', async (t) => {
  const items = Array.from(
    { length: 80 },
    (_, i) => `<item><guid>m${i}</guid><title>M${i}</title></item>`,
  ).join('');
  const { feed } = await feedAt(
    serveFeed(`<rss version="2.0"><channel><title>Many</title>${items}</channel></rss>`),
  );
  const { outcome } = await pollExpecting(t, feed.id, 'success');
  t.is(outcome.newItems, feedsConfig.feeds.maxItems);
  t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 50);
});

// 20 MB of zeros in about 20 kB: the cap (256 kB here) must stop the inflating.
const gzipBomb = zlib.gzipSync(Buffer.alloc(20 * 1024 * 1024));

const statusCases: Array<[string, FeedPollStatus, Parameters<FixtureServer['route']>[1]]> = [
  [
    '404',
    'not_found',
    (_req, res) => {
      res.statusCode = 404;
      res.end();
    },
  ],
  [
    '500',
    'http_error',
    (_req, res) => {
      res.statusCode = 500;
      res.end('oops');
    },
  ],
  [
    'an endless body',
    'too_large',
    (_req, res) => {
      res.setHeader('Content-Type', 'application/rss+xml');
      const timer = setInterval(() => res.write('<item>'.repeat(2000)), 1);
      res.on('close', () => clearInterval(timer));
    },
  ],
  [
    'a gzip bomb',
    'too_large',
    (_req, res) => {
      res.setHeader('Content-Encoding', 'gzip');
      res.end(gzipBomb);
    },
  ],
  ['malformed XML', 'parse_error', serveFeed(fixture('malformed.xml'))],
  ['an XXE document', 'parse_error', serveFeed(fixture('xxe.xml'))],
  ['a billion-laughs document', 'parse_error', serveFeed(fixture('billion-laughs.xml'))],
  [
    'an HTML page',
    'parse_error',
    serveFeed(fixture('not-a-feed.html'), { contentType: 'text/html' }),
  ],
];

for (const [what, status, handler] of statusCases) {
  test.serial(`${what} → ${status}, recorded on the feed`, async (t) => {
    const { feed } = await feedAt(handler);
    const { row, outcome } = await pollExpecting(t, feed.id, status);
    t.is(row.error_count, 1);
    t.truthy(row.last_error);
    t.is(outcome.error, row.last_error);
    t.false(row.disabled);
    t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 0);
  });
}

test.serial('a server slower than the timeout → timeout', async (t) => {
  const { feed } = await feedAt((_req, res) => {
    const timer = setTimeout(() => res.end(), 10_000);
    res.on('close', () => clearTimeout(timer));
  });
  const impatient = createFetcher({ ...feedsConfig.fetch, timeoutMs: 500 });
  try {
    const { row } = await pollExpecting(t, feed.id, 'timeout', { fetcher: impatient });
    t.regex(row.last_error!, /timed out/);
    t.is(row.error_count, 1);
  } finally {
    await impatient.close();
  }
});

test.serial('a redirect loop → http_error', async (t) => {
  const path = uniquePath('loop');
  server.route(path, (_req, res) => {
    res.statusCode = 302;
    res.setHeader('Location', path);
    res.end();
  });
  const feed = await aFeed(server.url(path));
  const { row } = await pollExpecting(t, feed.id, 'http_error');
  t.regex(row.last_error!, /too many redirects/);
});

test.serial('a refused connection → network_error', async (t) => {
  const feed = await aFeed('http://127.0.0.1:1/feed.xml');
  await pollExpecting(t, feed.id, 'network_error');
});

test.serial(
  'a private address with the guard on → blocked, and nothing is requested',
  async (t) => {
    const { feed, path } = await feedAt(serveFeed(fixture('rss2.xml')));
    const guarded = guardedFetcher();
    try {
      const { row } = await pollExpecting(t, feed.id, 'blocked', { fetcher: guarded });
      t.regex(row.last_error!, /loopback/);
      t.is(server.requestsTo(path).length, 0);
    } finally {
      await guarded.close();
    }
  },
);

test.serial(
  '410 Gone disables the feed at once; a disabled feed is not polled or counted',
  async (t) => {
    const { feed, path } = await feedAt((_req, res) => {
      res.statusCode = 410;
      res.end();
    });
    const { row } = await pollExpecting(t, feed.id, 'gone');
    t.true(row.disabled);
    t.is(row.error_count, 1);
    const requests = server.requestsTo(path).length;
    const before = await pollCounters(feed.id);
    const again = await refreshFeed(deps(), { feedId: feed.id });
    t.is(again.status, 'skipped');
    t.is(server.requestsTo(path).length, requests);
    const after = await pollCounters(feed.id);
    t.is(after.polls('gone'), before.polls('gone'));
  },
);

test.serial(
  'consecutive failures back off exponentially, then disable the feed after FEED_MAX_ERRORS',
  async (t) => {
    let failing = true;
    const { feed, path } = await feedAt((req, res) => {
      if (failing) {
        res.statusCode = 500;
        res.end();
      } else serveFeed(fixture('rss2.xml'))(req, res);
    });
    const now = new Date('2030-01-01T00:00:00Z');
    const clock = () => now;
    const minutes = (row: Feed) => (row.next_poll_at.getTime() - now.getTime()) / 60_000;

    let { row } = await pollExpecting(t, feed.id, 'http_error', { now: clock });
    t.is(row.error_count, 1);
    t.is(minutes(row), 30);
    ({ row } = await pollExpecting(t, feed.id, 'http_error', { now: clock }));
    t.is(row.error_count, 2);
    t.is(minutes(row), 60);
    t.false(row.disabled);

    // A success in between forgets the errors.
    failing = false;
    ({ row } = await pollExpecting(t, feed.id, 'success', { now: clock }));
    t.is(row.error_count, 0);
    t.is(row.last_error, null);
    t.is(minutes(row), 30);

    failing = true;
    for (const [count, wait] of [
      [1, 30],
      [2, 60],
    ] as const) {
      ({ row } = await pollExpecting(t, feed.id, 'http_error', { now: clock }));
      t.is(row.error_count, count);
      t.is(minutes(row), wait);
    }
    ({ row } = await pollExpecting(t, feed.id, 'http_error', { now: clock }));
    t.is(row.error_count, 3);
    t.true(row.disabled, 'disabled after FEED_MAX_ERRORS (3) consecutive failures');
    t.is(minutes(row), 120);

    const requests = server.requestsTo(path).length;
    t.is((await refreshFeed(deps(), { feedId: feed.id })).status, 'skipped');
    t.is(server.requestsTo(path).length, requests);
  },
);

test.serial('a 503 with Retry-After waits at least that long', async (t) => {
  const { feed } = await feedAt((_req, res) => {
    res.statusCode = 503;
    res.setHeader('Retry-After', '7200');
    res.end();
  });
  const now = new Date('2030-01-01T00:00:00Z');
  const { row } = await pollExpecting(t, feed.id, 'http_error', { now: () => now });
  t.is(row.next_poll_at.getTime() - now.getTime(), 7200 * 1000);
  // The due time feeds_overdue reads: the scheduler's lease never moves it.
  t.deepEqual(row.poll_due_at, row.next_poll_at);
});

test.serial(
  'a permanent redirect updates the stored URL and the bookmarks that point to it',
  async (t) => {
    const target = uniquePath('new-home');
    server.route(target, serveFeed(fixture('atom.xml')));
    const { feed } = await feedAt((_req, res) => {
      res.statusCode = 301;
      res.setHeader('Location', target);
      res.end();
    });
    const user = await aUser();
    const bookmark = await Bookmark.query().insert({
      owner_id: user.id,
      url: 'https://example.com/page',
      unique_hash: 'f'.repeat(64),
      feed_url: feed.url,
    });
    const { outcome, row } = await pollExpecting(t, feed.id, 'success');
    t.is(row.url, server.url(target));
    t.is(outcome.url, server.url(target));
    t.is((await Bookmark.query().findById(bookmark.id))!.feed_url, server.url(target));
  },
);

test.serial('a temporary redirect keeps the stored URL', async (t) => {
  const target = uniquePath('elsewhere');
  server.route(target, serveFeed(fixture('atom.xml')));
  const { feed } = await feedAt((_req, res) => {
    res.statusCode = 302;
    res.setHeader('Location', target);
    res.end();
  });
  const { row } = await pollExpecting(t, feed.id, 'success');
  t.is(row.url, feed.url);
});

test.serial(
  'a permanent redirect to a URL another feed already has keeps the old URL',
  async (t) => {
    const target = uniquePath('taken');
    server.route(target, serveFeed(fixture('atom.xml')));
    await aFeed(server.url(target));
    const { feed } = await feedAt((_req, res) => {
      res.statusCode = 308;
      res.setHeader('Location', target);
      res.end();
    });
    const { row } = await pollExpecting(t, feed.id, 'success');
    t.is(row.url, feed.url);
  },
);

test.serial('a feed that does not exist is skipped without a metric', async (t) => {
  const outcome = await refreshFeed(deps(), { feedId: 987_654 });
  t.is(outcome.status, 'skipped');
});
