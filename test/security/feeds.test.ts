/**
 * Issue #15, items 7, 8, 10 and 11: /feeds/get and /feeds/fetch answers are
 * bounded in items and bytes; /feeds/fetch polls only the asker's own feeds,
 * says the same about every other address (nothing about other people's
 * feeds), and has an hourly quota; following is capped; the `json` fields
 * are as clean as the sanitised ones; the hourly prune_old_data task keeps
 * FEED_ITEMS_RETAINED items a feed, drops expired sessions and the uploads
 * nobody needs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { addJob } from '../../src/jobs';
import {
  type FixtureServer,
  fixture,
  serveFeed,
  startFixtureServer,
} from '../fetcher/fixture-server';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { waitUntil } from '../reliability/support';

let app: TestApp;
let server: FixtureServer;
let dataDir: string;

test.before(async () => {
  server = await startFixtureServer();
  server.route('/rss.xml', serveFeed(fixture('rss2.xml')));
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-feeds-security-'));
  app = await startTestApp({
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true', // the fixture server is on 127.0.0.1
    FEEDS_MAX_PER_USER: '3',
    FEED_FETCHES_PER_HOUR: '2',
    FEED_ITEMS_RETAINED: '10',
    IMPORT_FAILED_UPLOAD_HOURS: '24',
    DATA_DIR: dataDir,
  });
});
test.after.always(async () => {
  await app?.stop();
  await server?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const knex = () => app.db.knex;
let feedCounter = 0;

/** A stored feed with `items` items of `descriptionBytes` each, newest first by date. */
async function storedFeed(
  options: { items?: number; descriptionBytes?: number; url?: string; metadata?: unknown } = {},
): Promise<{ id: number; url: string }> {
  feedCounter++;
  const url = options.url ?? `https://feeds.example/${feedCounter}.xml`;
  const [feed] = await knex()('feeds')
    .insert({ url, title: `Feed ${feedCounter}`, metadata: JSON.stringify(options.metadata ?? {}) })
    .returning(['id', 'url']);
  if (options.items) {
    await knex().raw(
      `insert into feed_items (feed_id, guid, date, title, description, first_seen_at, last_seen_at, raw)
       select ?, 'g' || i, now() - i * interval '1 minute', 'item ' || i, repeat('x', ?), now(), now(), '{}'
         from generate_series(1, ?) as i`,
      [feed.id, options.descriptionBytes ?? 10, options.items],
    );
    await knex()('feeds').where({ id: feed.id }).update({ newest_item_date: knex().fn.now() });
  }
  return feed;
}

async function publicBookmarkOf(feedUrl: string): Promise<void> {
  const owner = await aUser();
  await knex()('bookmarks').insert({
    owner_id: owner.id,
    url: `https://site.example/${feedCounter}`,
    unique_hash: String(feedCounter).padStart(64, '0'),
    feed_url: feedUrl,
    private: false,
  });
}

type Answer = Record<
  string,
  {
    success: boolean;
    truncated?: boolean;
    error?: string;
    fetched?: Record<string, unknown> & { items: Array<Record<string, unknown>> };
  }
>;

test.serial(
  'GET /feeds/get: at most 2000 items and ~5 MB an answer, cut entries say truncated',
  async (t) => {
    const feeds = [];
    for (let i = 0; i < 3; i++) {
      const feed = await storedFeed({ items: 1000, descriptionBytes: 3000 });
      await publicBookmarkOf(feed.url);
      feeds.push(feed);
    }
    const query = feeds.map((f) => `urls=${encodeURIComponent(f.url)}`).join('&');
    const response = await fetch(`${app.baseUrl}/feeds/get?${query}&per_feed_limit=1000`);
    t.is(response.status, 200);
    const text = await response.text();
    t.true(text.length < 5.5 * 1024 * 1024, `${text.length} bytes`);
    const body = JSON.parse(text) as Answer;
    const [first, second, third] = feeds.map((f) => body[f.url]!);
    t.is(first!.fetched!.items.length, 1000);
    t.falsy(first!.truncated);
    t.true(second!.truncated);
    t.true(second!.fetched!.items.length > 0 && second!.fetched!.items.length < 1000);
    t.true(third!.truncated);
    t.is(third!.fetched!.items.length, 0, 'the budget was spent before the last feed');
    // Newest first and without holes, across the pages it was read in.
    const titles = first!.fetched!.items.map((item) => item.title);
    t.deepEqual(titles.slice(0, 3), ['item 1', 'item 2', 'item 3']);
    t.is(titles[999], 'item 1000');
  },
);

test.serial(
  'the json fields carry no markup that runs and no javascript: or data: links',
  async (t) => {
    const feed = await storedFeed({
      metadata: {
        url: 'javascript:alert(1)',
        description: '<script>alert("meta")</script><b>bold</b> words',
        image: { url: ' JaVa\tScRiPt:alert(3)', title: 'logo' },
        self: 'https://feeds.example/self.xml',
      },
    });
    await publicBookmarkOf(feed.url);
    await knex()('feed_items').insert({
      feed_id: feed.id,
      guid: 'evil',
      date: new Date(),
      title: 'Evil',
      raw: JSON.stringify({
        link: 'javascript:alert(2)',
        content: '<img src=x onerror=alert(4)><a href="javascript:alert(5)">click</a> text',
        media: [
          { url: 'data:text/html,<script>alert(6)</script>' },
          { url: 'https://ok.example/a.png' },
        ],
        note: 'vbscript:msgbox(7)',
        title: 'Data: the plain kind',
      }),
    });
    const body = (await (
      await fetch(`${app.baseUrl}/feeds/get?urls=${encodeURIComponent(feed.url)}`)
    ).json()) as Answer;
    const fetched = body[feed.url]!.fetched!;
    const all = JSON.stringify(fetched);
    for (const bad of [
      /javascript:/i,
      /vbscript:/i,
      /data:text/i,
      /<script/i,
      /onerror/i,
      /alert\(/,
    ]) {
      t.notRegex(all, bad);
    }
    const meta = fetched.json as Record<string, unknown>;
    t.is(meta.url, null);
    t.is(meta.self, 'https://feeds.example/self.xml');
    t.regex(String(meta.description), /<b>bold<\/b> words/);
    const raw = fetched.items[0]!.json as Record<string, unknown>;
    t.regex(String(raw.content), /click<\/a> text/);
    t.deepEqual(raw.media, [{ url: null }, { url: 'https://ok.example/a.png' }]);
    t.is(raw.title, 'Data: the plain kind');
  },
);

test.serial(
  "POST /feeds/fetch polls the asker's feeds only and tells nothing about anyone else's",
  async (t) => {
    const asker = await aUser();
    const token = await aToken(asker.id);
    const mine = server.url('/rss.xml');
    const [own] = await knex()('feeds').insert({ url: mine }).returning(['id']);
    await knex()('feed_subscriptions').insert({ user_id: asker.id, feed_id: own.id });
    // Someone else's private bookmark has this feed: it exists, but not for the asker.
    const theirs = await storedFeed({ items: 3 });
    const other = await aUser();
    await knex()('bookmarks').insert({
      owner_id: other.id,
      url: 'https://private.example/',
      unique_hash: 'p'.repeat(64),
      feed_url: theirs.url,
      private: true,
    });
    const unknown = 'https://never-seen.example/feed.xml';
    const feedsBefore = Number((await knex()('feeds').count({ n: '*' }))[0]!.n);
    const response = await api(app.baseUrl, 'POST', '/feeds/fetch', token, {
      urls: [mine, theirs.url, unknown, 'ftp://nope.example/'],
    });
    t.is(response.status, 200, JSON.stringify(response.body));
    const body = response.body as Answer;
    t.true(body[mine]!.success);
    t.true(body[mine]!.fetched!.items.length > 0, 'polled now');
    t.deepEqual(body[theirs.url], body[unknown], 'the same answer for a known and an unknown feed');
    t.deepEqual(body[unknown], {
      success: false,
      error: 'Not among your feeds: follow it (or bookmark a page that has it) to have it polled.',
    });
    t.false(body['ftp://nope.example/']!.success);
    t.is(Number((await knex()('feeds').count({ n: '*' }))[0]!.n), feedsBefore, 'nothing created');
    const polledTheirs = await knex()('feeds').where({ id: theirs.id }).first();
    t.is(polledTheirs.last_polled_at, null, 'their feed was not polled');
  },
);

test.serial('POST /feeds/fetch: FEED_FETCHES_PER_HOUR polls a user, 429 past it', async (t) => {
  const user = await aUser();
  const token = await aToken(user.id);
  const urls = ['/a.xml', '/b.xml', '/c.xml'].map((p) => {
    server.route(p, serveFeed(fixture('rss2.xml')));
    return server.url(p);
  });
  for (const url of urls) {
    const [feed] = await knex()('feeds').insert({ url }).returning(['id']);
    await knex()('feed_subscriptions').insert({ user_id: user.id, feed_id: feed.id });
  }
  const three = await api(app.baseUrl, 'POST', '/feeds/fetch', token, { urls });
  t.is(three.status, 429);
  t.regex((three.body as { error: { message: string } }).error.message, /FEED_FETCHES_PER_HOUR/);
  t.true(Number(three.headers.get('retry-after')) > 3000);
  const two = await api(app.baseUrl, 'POST', '/feeds/fetch', token, { urls: urls.slice(0, 2) });
  t.is(two.status, 200, 'the refused three did not count');
  const more = await api(app.baseUrl, 'POST', '/feeds/fetch', token, { urls: urls.slice(2) });
  t.is(more.status, 429);
});

test.serial(
  'Re-enable and Retry poll only a disabled or failing feed, and take from FEED_FETCHES_PER_HOUR',
  async (t) => {
    const client = new TestClient(app.baseUrl);
    await client.register(`retrier${feedCounter}`);
    const user = await knex()('users')
      .where({ username: `retrier${feedCounter}` })
      .first();
    const follow = async (failing: boolean) => {
      const feed = await storedFeed();
      const state = failing ? { disabled: true, error_count: 10, last_error: 'HTTP 410 Gone' } : {};
      const nextPoll = new Date(Date.now() + 3_600_000);
      await knex()('feeds')
        .where({ id: feed.id })
        .update({ ...state, next_poll_at: nextPoll });
      await knex()('feed_subscriptions').insert({ user_id: user.id, feed_id: feed.id });
      return feed.id;
    };
    const row = (id: number) => knex()('feeds').where({ id }).first();
    const flashAfter = async (path: string, back: string) => {
      const response = await client.post(path);
      t.is(response.status, 302, path);
      return (await client.get(back)).text;
    };

    // A healthy feed: nothing to re-enable or retry, and nothing is fetched.
    const healthy = await follow(false);
    const before = await row(healthy);
    t.regex(
      await flashAfter(`/feeds/${healthy}/enable`, '/feeds'),
      /is not disabled: it is polled on its own/,
    );
    t.regex(
      await flashAfter(`/status/feeds/${healthy}/retry`, '/status'),
      /is not failing: it is polled on its own/,
    );
    t.deepEqual((await row(healthy)).next_poll_at, before.next_poll_at);

    // Failing ones: two polls on demand an hour here, then a 429's message.
    const [a, b, c] = [await follow(true), await follow(true), await follow(true)];
    t.regex(
      await flashAfter(`/feeds/${a}/enable`, '/feeds'),
      /enabled again and will be polled now/,
    );
    t.regex(await flashAfter(`/status/feeds/${b}/retry`, '/status'), /will be polled again now/);
    t.regex(await flashAfter(`/feeds/${c}/enable`, '/feeds'), /FEED_FETCHES_PER_HOUR/);
    t.regex(await flashAfter(`/status/feeds/${c}/retry`, '/status'), /FEED_FETCHES_PER_HOUR/);
    t.true((await row(c)).disabled, 'the refused feed stays as it was');
    t.is((await row(c)).error_count, 10);
  },
);

test.serial(
  'following is capped at FEEDS_MAX_PER_USER, by the form and by OPML import',
  async (t) => {
    const known = [];
    for (let i = 0; i < 6; i++) known.push(await storedFeed());
    const client = new TestClient(app.baseUrl);
    await client.register(`follower${feedCounter}`);
    for (const feed of known.slice(0, 3)) {
      t.is((await client.post('/feeds', { url: feed.url })).status, 302);
    }
    const fourth = await client.post('/feeds', { url: known[3]!.url });
    t.is(fourth.status, 422);
    t.regex(fourth.text, /You can follow at most 3 feeds \(FEEDS_MAX_PER_USER\)/);

    const importer = new TestClient(app.baseUrl);
    await importer.register(`importer${feedCounter}`);
    await importer.post('/feeds', { url: known[0]!.url });
    const opml = `<opml version="2.0"><body>${known
      .slice(3)
      .map((f) => `<outline type="rss" xmlUrl="${f.url}"/>`)
      .join('')}</body></opml>`;
    const imported = await importer.request('POST', '/feeds/import', {
      body: opml,
      headers: {
        'content-type': 'text/x-opml',
        'x-csrf-token': await importer.csrf(),
        accept: 'application/json',
      },
    });
    t.is(imported.status, 422);
    t.regex(imported.text, /this would make 4/);
    const user = await knex()('users')
      .where({ username: `importer${feedCounter}` })
      .first();
    t.is(
      Number(
        (await knex()('feed_subscriptions').where({ user_id: user.id }).count({ n: '*' }))[0]!.n,
      ),
      1,
    );
  },
);

test.serial('prune_old_data: item retention, expired sessions, stale uploads', async (t) => {
  // Items: 15, newest first; the oldest is still in the feed (seen by the latest poll).
  const feed = await storedFeed();
  const latestPoll = new Date();
  for (let i = 0; i < 15; i++) {
    await knex()('feed_items').insert({
      feed_id: feed.id,
      guid: `r${i}`,
      date: new Date(Date.UTC(2024, 0, 30 - i)),
      first_seen_at: new Date(Date.UTC(2024, 0, 30 - i)),
      last_seen_at: i === 14 ? latestPoll : new Date(Date.UTC(2024, 1, 1)),
    });
  }
  const user = await aUser();
  await knex()('sessions').insert([
    { id: 'e'.repeat(64), user_id: user.id, data: '{}', expires_at: new Date(Date.now() - 1000) },
    { id: 'f'.repeat(64), user_id: user.id, data: '{}', expires_at: new Date(Date.now() + 60_000) },
  ]);
  const uploads = path.join(dataDir, 'uploads');
  fs.mkdirSync(uploads, { recursive: true });
  const file = (name: string, ageHours: number) => {
    const full = path.join(uploads, name);
    fs.writeFileSync(full, 'x');
    const when = new Date(Date.now() - ageHours * 3600_000);
    fs.utimesSync(full, when, when);
    return full;
  };
  const job = (filePath: string, status: string, completedHoursAgo: number | null) =>
    knex()('import_jobs').insert({
      user_id: user.id,
      file_path: filePath,
      status,
      completed_at:
        completedHoursAgo === null ? null : new Date(Date.now() - completedHoursAgo * 3600_000),
    });
  await job(file('failed-long-ago.upload', 50), 'failed', 48);
  await job(file('failed-recently.upload', 50), 'failed', 2);
  await job(file('pending.upload', 50), 'pending', null);
  file('orphan-old.upload', 2);
  file('orphan-fresh.upload', 0);

  const { id } = await addJob(knex(), 'prune_old_data', {});
  t.true(
    await waitUntil(
      async () => !(await knex()('graphile_worker.jobs').where({ id }).first()),
      20_000,
    ),
    'the job ran',
  );
  const left = await knex()('feed_items').where({ feed_id: feed.id }).orderBy('date', 'desc');
  t.deepEqual(
    left.map((row: { guid: string }) => row.guid),
    ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r14'],
  );
  t.deepEqual(
    (
      await knex()('sessions')
        .whereIn('id', ['e'.repeat(64), 'f'.repeat(64)])
        .select('id')
    ).map((row: { id: string }) => row.id[0]),
    ['f'],
  );
  t.deepEqual(fs.readdirSync(uploads).sort(), [
    'failed-recently.upload',
    'orphan-fresh.upload',
    'pending.upload',
  ]);
});
