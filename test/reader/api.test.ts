/**
 * The reader's JSON API and its page routes, on the real app (web only: the
 * polls it queues stay queued, so their state can be asserted). Every
 * endpoint: the happy path, 401 without a token, 404 for what is not the
 * caller's (another user's feed, item or category), 422 for bad input.
 */
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { addItems, aFeed, follow } from './support';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

const day = (n: number) => new Date(Date.UTC(2025, 2, n));

interface ItemJson {
  id: number;
  feed_id: number;
  title: string;
  read: boolean;
  date: string | null;
  bookmark_url: string | null;
}
interface ItemsAnswer {
  items: ItemJson[];
  next_cursor: string | null;
  next: string | null;
  through_item_id: number;
}

/** Alice follows two feeds (one shared with Bob); Bob follows the shared one and his own. */
async function world() {
  const knex = app.db.knex;
  const alice = await aUser();
  const bob = await aUser();
  const [aliceToken, bobToken] = [await aToken(alice.id), await aToken(bob.id)];
  const news = await aFeed(knex, { title: 'News' });
  const shared = await aFeed(knex, { title: 'Shared' });
  const bobs = await aFeed(knex, { title: 'Bobs' });
  await follow(knex, alice.id, news);
  await follow(knex, alice.id, shared);
  await follow(knex, bob.id, shared);
  await follow(knex, bob.id, bobs);
  const newsItems = await addItems(knex, news, [
    { date: day(1), title: 'news 1', link: 'https://news.example/1' },
    { date: day(3), title: 'news 3' },
    { date: day(5), title: 'news 5' },
  ]);
  const sharedItems = await addItems(knex, shared, [
    { date: day(2), title: 'shared 2' },
    { date: day(4), title: 'shared 4' },
  ]);
  const bobItems = await addItems(knex, bobs, [{ date: day(6), title: 'bob 6' }]);
  const call = (token: string) => (method: string, path: string, body?: unknown) =>
    api(app.baseUrl, method, path, token, body);
  return {
    alice,
    bob,
    asAlice: call(aliceToken),
    asBob: call(bobToken),
    feeds: { news, shared, bobs },
    items: { news: newsItems, shared: sharedItems, bob: bobItems },
  };
}

test('every reader endpoint answers 401 without a token', async (t) => {
  const calls: Array<[string, string]> = [
    ['GET', '/api/v1/feeds'],
    ['GET', '/api/v1/feeds/items?unread=true'],
    ['GET', '/api/v1/feeds/items/1'],
    ['POST', '/api/v1/feeds/items/read'],
    ['POST', '/api/v1/feeds/read'],
    ['POST', '/api/v1/feeds/1/read'],
    ['POST', '/api/v1/feeds/poll'],
    ['GET', '/api/v1/feeds/poll?after=0'],
    ['POST', '/api/v1/feeds/1/poll'],
    ['GET', '/api/v1/feeds/1/poll?after=0'],
    ['GET', '/api/v1/feeds/categories'],
    ['POST', '/api/v1/feeds/categories'],
    ['PATCH', '/api/v1/feeds/categories/1'],
    ['DELETE', '/api/v1/feeds/categories/1'],
    ['PUT', '/api/v1/feeds/1/category'],
  ];
  for (const [method, path] of calls) {
    const body = method === 'GET' ? undefined : {};
    const response = await api(app.baseUrl, method, path, undefined, body);
    t.is(response.status, 401, `${method} ${path}`);
    t.is((response.body as { error: { code: string } }).error.code, 'unauthorized');
  }
  const bad = await api(app.baseUrl, 'GET', '/api/v1/feeds/items', 'pc_not-a-token');
  t.is(bad.status, 401);
});

test('a method an address does not take is a JSON 405 with Allow, as in the bookmarks API', async (t) => {
  const w = await world();
  const cases: Array<[string, string, string]> = [
    ['GET', '/api/v1/feeds/categories/1', 'PATCH, DELETE'],
    ['DELETE', '/api/v1/feeds/items', 'GET'],
    ['DELETE', '/api/v1/feeds/read', 'POST'],
    ['GET', '/api/v1/feeds/1/category', 'PUT'],
    ['PUT', '/api/v1/feeds', 'GET'],
    ['DELETE', '/api/v1/feeds/items/read', 'POST'],
    ['DELETE', '/api/v1/feeds/items/1', 'GET'],
    ['DELETE', '/api/v1/feeds/1/read', 'POST'],
    ['DELETE', '/api/v1/feeds/poll', 'GET, POST'],
    ['PATCH', '/api/v1/feeds/1/poll', 'GET, POST'],
    ['DELETE', '/api/v1/feeds/categories', 'GET, POST'],
  ];
  for (const [method, path, allow] of cases) {
    const response = await w.asAlice(method, path);
    t.is(response.status, 405, `${method} ${path}`);
    t.regex(response.headers.get('content-type') ?? '', /^application\/json/);
    t.is(response.headers.get('allow'), allow, `${method} ${path}`);
    t.like(response.body, {
      error: { code: 'method_not_allowed', message: `This address takes ${allow}.` },
    });
  }
});

test('a flag that is not true or false is a 422 saying so', async (t) => {
  const w = await world();
  for (const value of ['maybe', 'TRUE', '2']) {
    const refused = await w.asAlice('GET', `/api/v1/feeds/items?unread=${value}`);
    t.is(refused.status, 422, value);
    t.like(refused.body, {
      error: { code: 'validation_failed', message: 'unread: Give true or false.' },
    });
  }
  const marked = await w.asAlice('POST', '/api/v1/feeds/items/read', {
    item_ids: [w.items.news[0]],
    read: 'perhaps',
  });
  t.is(marked.status, 422);
  t.like(marked.body, { error: { message: 'read: Give true or false.' } });
});

test('items: newest first across followed feeds, unread, filters, cursor pages', async (t) => {
  const w = await world();
  const all = await w.asAlice('GET', '/api/v1/feeds/items');
  t.is(all.status, 200);
  const answer = all.body as ItemsAnswer;
  t.deepEqual(
    answer.items.map((item) => item.title),
    ['news 5', 'shared 4', 'news 3', 'shared 2', 'news 1'],
    'newest first, only followed feeds',
  );
  const first = answer.items.at(-1)!;
  t.is(first.bookmark_url, '/bookmarks/new?url=https%3A%2F%2Fnews.example%2F1&title=news+1');
  t.is(first.date, day(1).toISOString());
  t.false(first.read);

  const byFeed = (await w.asAlice('GET', `/api/v1/feeds/items?feed_id=${w.feeds.shared}`))
    .body as ItemsAnswer;
  t.deepEqual(
    byFeed.items.map((item) => item.title),
    ['shared 4', 'shared 2'],
  );

  // Pages of two, joined by the cursor.
  const titles: string[] = [];
  let path: string | null = '/api/v1/feeds/items?unread=true&limit=10';
  const small = (await w.asAlice('GET', '/api/v1/feeds/items?limit=25')).body as ItemsAnswer;
  t.is(small.next, null, 'one page holds them all');
  // limit is any whole number from 1 to 200, as in the bookmarks API (#17).
  const two = await w.asAlice('GET', '/api/v1/feeds/items?limit=2');
  t.is(two.status, 200);
  t.deepEqual(
    (two.body as ItemsAnswer).items.map((item) => item.title),
    ['news 5', 'shared 4'],
  );
  t.regex((two.body as ItemsAnswer).next ?? '', /limit=2&before=/);
  for (const limit of ['1', '7', '200', '']) {
    t.is((await w.asAlice('GET', `/api/v1/feeds/items?limit=${limit}`)).status, 200, limit);
  }
  for (const limit of ['0', '-1', '201', '2.5', 'ten']) {
    const refused = await w.asAlice('GET', `/api/v1/feeds/items?limit=${limit}`);
    t.is(refused.status, 422, limit);
    t.regex(
      (refused.body as { error: { message: string } }).error.message,
      /^limit: Show from 1 to 200 items per page\.$/,
    );
  }
  const many = await addItems(
    app.db.knex,
    w.feeds.news,
    Array.from({ length: 12 }, (_, i) => ({ date: day(10 + i), title: `more ${i}` })),
  );
  while (path) {
    const page = (await w.asAlice('GET', path)).body as ItemsAnswer;
    titles.push(...page.items.map((item) => item.title));
    path = page.next;
  }
  t.is(titles.length, 5 + many.length);
  t.is(titles[0], 'more 11');
  t.is(titles.at(-1), 'news 1');
  t.is(new Set(titles).size, titles.length, 'no item twice');

  t.is((await w.asAlice('GET', '/api/v1/feeds/items?before=nonsense')).status, 422);
  // A well-formed cursor past what a timestamp holds is bad input too, not a 500.
  const huge = await w.asAlice('GET', '/api/v1/feeds/items?before=9999999999999999999_1');
  t.is(huge.status, 422);
  t.is((await w.asAlice('GET', '/api/v1/feeds/items?before=-9999999999999999999_1')).status, 422);
  const strangers = await w.asAlice('GET', `/api/v1/feeds/items?feed_id=${w.feeds.bobs}`);
  t.is(strangers.status, 404, "another user's feed does not exist for Alice");
});

test('items by the tag of the bookmarks that led to the feed', async (t) => {
  const w = await world();
  const knex = app.db.knex;
  const { url } = await knex('feeds').where('id', w.feeds.shared).first('url');
  const [bookmark] = await knex('bookmarks')
    .insert({
      owner_id: w.alice.id,
      url: 'https://shared.example/',
      unique_hash: 'a'.repeat(64),
      feed_url: url,
    })
    .returning('id');
  const [tag] = await knex('tags').insert({ owner_id: w.alice.id, name: 'weekly' }).returning('id');
  await knex('bookmark_tags').insert({ bookmark_id: bookmark.id, tag_id: tag.id });
  // Bob's tag of the same name on the same feed says nothing about Alice's list.
  const [bobTag] = await knex('tags').insert({ owner_id: w.bob.id, name: 'daily' }).returning('id');
  const [bobMark] = await knex('bookmarks')
    .insert({
      owner_id: w.bob.id,
      url: 'https://shared.example/',
      unique_hash: 'b'.repeat(64),
      feed_url: url,
    })
    .returning('id');
  await knex('bookmark_tags').insert({ bookmark_id: bobMark.id, tag_id: bobTag.id });

  const tagged = (await w.asAlice('GET', '/api/v1/feeds/items?tag=Weekly')).body as ItemsAnswer;
  t.deepEqual(
    tagged.items.map((item) => item.title),
    ['shared 4', 'shared 2'],
  );
  const other = (await w.asAlice('GET', '/api/v1/feeds/items?tag=daily')).body as ItemsAnswer;
  t.deepEqual(other.items, []);
});

test('marking read: items, a feed older than a date, everything; counts follow', async (t) => {
  const w = await world();
  const unreadOf = async () => {
    const body = (await w.asAlice('GET', '/api/v1/feeds')).body as {
      unread: number;
      feeds: Array<{ id: number; unread: number }>;
    };
    return {
      total: body.unread,
      byFeed: Object.fromEntries(body.feeds.map((f) => [f.id, f.unread])),
    };
  };
  t.deepEqual(await unreadOf(), { total: 5, byFeed: { [w.feeds.news]: 3, [w.feeds.shared]: 2 } });

  const marked = await w.asAlice('POST', '/api/v1/feeds/items/read', {
    item_ids: [w.items.news[2], w.items.bob[0]],
  });
  t.is(marked.status, 200);
  t.deepEqual(marked.body, { read: true, marked: [w.items.news[2]], not_found: [w.items.bob[0]] });
  t.deepEqual((await unreadOf()).byFeed[w.feeds.news], 2);
  const unread = (await w.asAlice('GET', '/api/v1/feeds/items?unread=true')).body as ItemsAnswer;
  t.false(unread.items.some((item) => item.title === 'news 5'));

  const undo = await w.asAlice('POST', '/api/v1/feeds/items/read', {
    item_ids: [w.items.news[2]],
    read: false,
  });
  t.is(undo.status, 200);
  t.is((await unreadOf()).byFeed[w.feeds.news], 3);

  // Older than 4 March in the news feed: news 1 and news 3.
  const older = await w.asAlice('POST', `/api/v1/feeds/${w.feeds.news}/read`, {
    before: '2025-03-04',
  });
  t.is(older.status, 200);
  t.deepEqual(older.body, { feeds: 1, before: '2025-03-04T00:00:00.000Z' });
  t.deepEqual(await unreadOf(), { total: 3, byFeed: { [w.feeds.news]: 1, [w.feeds.shared]: 2 } });

  // Alice's marks are hers: Bob still has both shared items unread.
  const bobs = (await w.asBob('GET', `/api/v1/feeds/items?unread=true&feed_id=${w.feeds.shared}`))
    .body as ItemsAnswer;
  t.is(bobs.items.length, 2);

  const everything = await w.asAlice('POST', '/api/v1/feeds/read', {});
  t.deepEqual(everything.body, { feeds: 2, before: null });
  t.deepEqual(await unreadOf(), { total: 0, byFeed: { [w.feeds.news]: 0, [w.feeds.shared]: 0 } });

  t.is((await w.asAlice('POST', `/api/v1/feeds/${w.feeds.bobs}/read`, {})).status, 404);
  t.is((await w.asAlice('POST', '/api/v1/feeds/99999999/read', {})).status, 404);
  t.is((await w.asAlice('POST', '/api/v1/feeds/items/read', { item_ids: [] })).status, 422);
  t.is((await w.asAlice('POST', '/api/v1/feeds/read', { before: 'someday' })).status, 422);
  // An array is not a request to mark everything: refused, nothing marked.
  t.is((await w.asAlice('POST', '/api/v1/feeds/read', [1, 2])).status, 400);
});

test('bodies follow the API rules: JSON or a 415, unknown fields a 422 naming them; nothing changes', async (t) => {
  const w = await world();
  const token = await aToken(w.alice.id);
  const [category] = await app.db
    .knex('feed_categories')
    .insert({ user_id: w.alice.id, title: 'Kept' })
    .returning('id');
  const send = (method: string, path: string, body: string, type?: string) =>
    fetch(`${app.baseUrl}/api/v1${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(type ? { 'content-type': type } : {}),
      },
      body,
    });
  const bodies: Array<[string, string, Record<string, unknown>]> = [
    ['POST', '/feeds/items/read', { item_ids: [w.items.news[0]] }],
    ['POST', '/feeds/read', { before: '2025-03-04' }],
    ['POST', `/feeds/${w.feeds.news}/read`, { before: '2025-03-06' }],
    ['POST', '/feeds/categories', { title: 'New' }],
    ['PATCH', `/feeds/categories/${category.id}`, { title: 'Renamed' }],
    ['PUT', `/feeds/${w.feeds.news}/category`, { category_id: category.id }],
  ];
  for (const [method, path, fields] of bodies) {
    const json = JSON.stringify(fields);
    const form = new URLSearchParams(
      Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])),
    ).toString();
    const label = `${method} ${path}`;
    for (const [body, type] of [
      [form, 'application/x-www-form-urlencoded'],
      [json, 'text/plain'],
      [json, undefined],
    ] as const) {
      const response = await send(method, path, body, type);
      t.is(response.status, 415, `${label} ${type}`);
      const { error } = (await response.json()) as { error: { code: string; message: string } };
      t.is(error.code, 'unsupported_media_type');
      t.regex(error.message, /Send the body as JSON, with Content-Type: application\/json/);
      t.is(response.headers.get('accept-post'), method === 'POST' ? 'application/json' : null);
      t.is(response.headers.get('accept-patch'), method === 'PATCH' ? 'application/json' : null);
    }
    const typo = await w.asAlice(method, `/api/v1${path}`, { ...fields, reed: true, 'feed id': 1 });
    t.is(typo.status, 422, label);
    const { error } = typo.body as {
      error: { message: string; details: { fields: Record<string, string> } };
    };
    t.regex(error.message, /^Unknown fields "reed", "feed id": this request takes /, label);
    t.deepEqual(Object.keys(error.details.fields).sort(), ['feed id', 'reed']);
    t.is((await w.asAlice(method, `/api/v1${path}`, [fields])).status, 400, `${label}: array`);
  }
  const unknown = await w.asAlice('POST', '/api/v1/feeds/items/read', {
    item_ids: [w.items.news[0]],
    unread: true,
  });
  t.is(
    (unknown.body as { error: { message: string } }).error.message,
    'Unknown field "unread": this request takes item_ids, read.',
  );
  // Nothing of the above was marked, created, renamed or filed.
  const feeds = (await w.asAlice('GET', '/api/v1/feeds')).body as {
    unread: number;
    feeds: Array<{ category_id: number | null }>;
    categories: Array<{ title: string }>;
  };
  t.is(feeds.unread, 5);
  t.true(feeds.feeds.every((feed) => feed.category_id === null));
  t.deepEqual(
    feeds.categories.map((c) => c.title),
    ['Kept'],
  );
  // JSON with a charset is JSON; an empty body is an empty object.
  const charset = await send(
    'POST',
    '/feeds/items/read',
    JSON.stringify({ item_ids: [w.items.news[0]] }),
    'application/json; charset=utf-8',
  );
  t.is(charset.status, 200);
  t.is((await send('POST', `/feeds/${w.feeds.shared}/read`, '')).status, 200);
  t.is(((await w.asAlice('GET', '/api/v1/feeds')).body as { unread: number }).unread, 2);
});

test("one item with its content; another user's item is 404", async (t) => {
  const w = await world();
  await app.db
    .knex('feed_items')
    .where('id', w.items.news[0])
    .update({ description: '<p>Hello <b>there</b></p>' });
  const item = await w.asAlice('GET', `/api/v1/feeds/items/${w.items.news[0]}`);
  t.is(item.status, 200);
  t.like(item.body as object, {
    title: 'news 1',
    content: '<p>Hello <b>there</b></p>',
    read: false,
  });
  t.is((await w.asAlice('GET', `/api/v1/feeds/items/${w.items.bob[0]}`)).status, 404);
  t.is((await w.asAlice('GET', '/api/v1/feeds/items/x1')).status, 404);
});

test('poll now: queued once per feed on the worker queue, progress readable, 404 for strangers', async (t) => {
  const w = await world();
  const knex = app.db.knex;
  const jobsFor = (feedId: number) =>
    knex.raw('select count(*)::int as n from graphile_worker.jobs where key = ?', [
      `poll_feed:${feedId}`,
    ]);
  const queued = await w.asAlice('POST', `/api/v1/feeds/${w.feeds.news}/poll`);
  t.is(queued.status, 202);
  const request = queued.body as { queued: number[]; after_item_id: number; status_url: string };
  t.deepEqual(request.queued, [w.feeds.news]);
  t.is(queued.headers.get('location'), request.status_url);
  t.is(request.status_url, `/api/v1/feeds/${w.feeds.news}/poll?after=${request.after_item_id}`);
  // Asking again does not queue a second poll (job key).
  t.is((await w.asAlice('POST', `/api/v1/feeds/${w.feeds.news}/poll`)).status, 202);
  t.is((await jobsFor(w.feeds.news)).rows[0].n, 1);

  const progress = await w.asAlice('GET', request.status_url);
  t.is(progress.status, 200);
  t.like(progress.body as object, { done: false, pending: 1, new_items: 0 });
  t.is((progress.body as { feeds: Array<{ state: string }> }).feeds[0]!.state, 'queued');

  // What the worker would do: new items and the job gone. Then the poll has landed.
  await addItems(knex, w.feeds.news, [{ date: day(9), title: 'fresh' }]);
  await knex.raw('delete from graphile_worker._private_jobs where key = ?', [
    `poll_feed:${w.feeds.news}`,
  ]);
  await knex('feeds')
    .where('id', w.feeds.news)
    .update({ last_polled_at: new Date(), last_status: 'success' });
  const landed = (await w.asAlice('GET', request.status_url)).body as {
    done: boolean;
    new_items: number;
    unread: number;
    feeds: Array<{ state: string; new_items: number; unread: number; status_text: string }>;
  };
  t.true(landed.done);
  t.is(landed.new_items, 1);
  t.like(landed.feeds[0]!, { state: 'done', new_items: 1, unread: 4, status_text: 'OK' });
  t.is(landed.unread, 6);

  // Polled moments ago: not polled again (READER_POLL_NOW_MIN_INTERVAL).
  const again = (await w.asAlice('POST', `/api/v1/feeds/${w.feeds.news}/poll`)).body as {
    queued: number[];
    recent: number[];
  };
  t.deepEqual(again, { ...again, queued: [], recent: [w.feeds.news] });
  t.is((await jobsFor(w.feeds.news)).rows[0].n, 0);

  // All feeds: the disabled one is reported, not queued.
  await knex('feeds').where('id', w.feeds.shared).update({ disabled: true });
  const all = (await w.asAlice('POST', '/api/v1/feeds/poll')).body as {
    queued: number[];
    disabled: number[];
    recent: number[];
  };
  t.deepEqual([all.queued, all.disabled, all.recent], [[], [w.feeds.shared], [w.feeds.news]]);

  t.is((await w.asAlice('POST', `/api/v1/feeds/${w.feeds.bobs}/poll`)).status, 404);
  t.is((await w.asAlice('GET', `/api/v1/feeds/${w.feeds.bobs}/poll?after=0`)).status, 404);
  t.is((await jobsFor(w.feeds.bobs)).rows[0].n, 0, "nothing queued for another user's feed");
  t.is(
    (await w.asAlice('GET', `/api/v1/feeds/${w.feeds.news}/poll`)).status,
    422,
    'after is required',
  );
});

test('categories: create, rename, file a feed, filter by it, delete; strangers get 404', async (t) => {
  const w = await world();
  const created = await w.asAlice('POST', '/api/v1/feeds/categories', { title: 'Daily reads' });
  t.is(created.status, 201);
  const category = created.body as { id: number; title: string; feeds: number };
  t.like(category, { title: 'Daily reads', feeds: 0 });
  t.is(created.headers.get('location'), `/api/v1/feeds/categories/${category.id}`);
  const duplicate = await w.asAlice('POST', '/api/v1/feeds/categories', { title: 'daily READS' });
  t.is(duplicate.status, 422);
  t.regex((duplicate.body as { error: { message: string } }).error.message, /already have/);
  t.is((await w.asAlice('POST', '/api/v1/feeds/categories', { title: '  ' })).status, 422);

  const filed = await w.asAlice('PUT', `/api/v1/feeds/${w.feeds.news}/category`, {
    category_id: category.id,
  });
  t.is(filed.status, 200);
  const inCategory = (await w.asAlice('GET', `/api/v1/feeds/items?category_id=${category.id}`))
    .body as ItemsAnswer;
  t.deepEqual(
    inCategory.items.map((item) => item.title),
    ['news 5', 'news 3', 'news 1'],
  );
  const listed = (await w.asAlice('GET', '/api/v1/feeds/categories')).body as {
    categories: Array<{ id: number; feeds: number; unread: number }>;
  };
  t.deepEqual(listed.categories, [{ id: category.id, title: 'Daily reads', feeds: 1, unread: 3 }]);

  const renamed = await w.asAlice('PATCH', `/api/v1/feeds/categories/${category.id}`, {
    title: 'Morning',
  });
  t.like(renamed.body as object, { id: category.id, title: 'Morning', feeds: 1 });

  // Bob can neither see, rename, use nor delete Alice's category.
  t.is((await w.asBob('GET', `/api/v1/feeds/items?category_id=${category.id}`)).status, 404);
  t.is(
    (await w.asBob('PATCH', `/api/v1/feeds/categories/${category.id}`, { title: 'x' })).status,
    404,
  );
  t.is((await w.asBob('DELETE', `/api/v1/feeds/categories/${category.id}`)).status, 404);
  t.is(
    (await w.asBob('PUT', `/api/v1/feeds/${w.feeds.shared}/category`, { category_id: category.id }))
      .status,
    404,
  );
  // Nor file a feed he does not follow.
  t.is(
    (await w.asAlice('PUT', `/api/v1/feeds/${w.feeds.bobs}/category`, { category_id: null }))
      .status,
    404,
  );
  t.is(
    (await w.asAlice('PUT', `/api/v1/feeds/${w.feeds.news}/category`, { category_id: 'x' })).status,
    422,
  );

  t.is((await w.asAlice('DELETE', `/api/v1/feeds/categories/${category.id}`)).status, 204);
  const after = (await w.asAlice('GET', '/api/v1/feeds')).body as {
    feeds: Array<{ id: number; category_id: number | null }>;
  };
  t.true(
    after.feeds.every((feed) => feed.category_id === null),
    'its feeds stay, uncategorised',
  );
  t.is(after.feeds.length, 2);
});

test("pages: sign-in required, strangers' feeds and items are 404, forms work without JavaScript", async (t) => {
  const w = await world();
  const anonymous = new TestClient(app.baseUrl);
  const page = await anonymous.get('/reader');
  t.is(page.status, 302);
  t.is(page.location, '/auth/login?next=%2Freader');

  const client = new TestClient(app.baseUrl);
  t.is((await client.login(w.alice.username)).status, 302);
  const reader = await client.get('/reader');
  t.is(reader.status, 200);
  t.regex(reader.text, /data-nav-unread title="unread items">5</);
  t.regex(reader.text, /news 5[\s\S]*shared 4[\s\S]*news 1/);
  t.regex(
    reader.text,
    /href="\/bookmarks\/new\?url=https%3A%2F%2Fnews\.example%2F1&amp;title=news\+1"/,
  );
  t.is((await client.get(`/reader?feed=${w.feeds.bobs}`)).status, 404);
  t.is((await client.get(`/reader/items/${w.items.bob[0]}`)).status, 404);
  t.is((await client.get('/reader?limit=7')).status, 200);
  t.is((await client.get('/reader?limit=201')).status, 422);

  // Opening an item marks it read.
  const opened = await client.get(`/reader/items/${w.items.news[0]}`);
  t.is(opened.status, 200);
  t.regex(opened.text, /Mark unread/);
  t.regex((await client.get('/reader')).text, /data-nav-unread title="unread items">4</);

  const toggled = await client.post(`/reader/items/${w.items.news[0]}/read`, {
    read: '0',
    next: '/reader?show=all',
  });
  t.is(toggled.status, 302);
  t.is(toggled.location, '/reader?show=all');
  t.is((await client.post(`/reader/items/${w.items.bob[0]}/read`, { read: '1' })).status, 404);

  const polled = await client.post(`/reader/feeds/${w.feeds.news}/poll`, { next: '/reader' });
  t.is(polled.status, 302);
  t.regex((await client.get('/reader')).text, /Polling 1 feed now/);
  t.is((await client.post(`/reader/feeds/${w.feeds.bobs}/poll`)).status, 404);

  // A bad date comes back to the page as a message, and nothing is marked.
  const bad = await client.post('/reader/read', { before: 'whenever', next: '/reader' });
  t.is(bad.status, 302);
  const after = await client.get('/reader');
  t.regex(after.text, /flash-error[^>]*>Use an ISO date/);
  t.regex(after.text, /data-nav-unread title="unread items">5</);

  const all = await client.post('/reader/read', { next: '/reader' });
  t.is(all.status, 302);
  const empty = await client.get('/reader');
  t.regex(empty.text, /Nothing unread here/);
  t.regex(empty.text, /data-nav-unread title="unread items" hidden>0</);
});

test('unfollowing drops the read states: following again starts afresh', async (t) => {
  const w = await world();
  const marked = await w.asAlice('POST', '/api/v1/feeds/items/read', {
    item_ids: [w.items.news[0]],
  });
  t.deepEqual((marked.body as { marked: number[] }).marked, [w.items.news[0]]);
  const client = new TestClient(app.baseUrl);
  t.is((await client.login(w.alice.username)).status, 302);
  t.is((await client.post(`/feeds/${w.feeds.news}/delete`, {})).status, 302);
  t.is(
    Number(
      (await app.db.knex('feed_item_states').where({ user_id: w.alice.id }).count({ n: '*' }))[0]
        ?.n,
    ),
    0,
  );
  await follow(app.db.knex, w.alice.id, w.feeds.news);
  const items = (await w.asAlice('GET', `/api/v1/feeds/items?feed_id=${w.feeds.news}&unread=true`))
    .body as ItemsAnswer;
  t.is(items.items.length, 3, 'every item unread again');
});
