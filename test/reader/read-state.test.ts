/**
 * Read state against a model that marks items one by one. The database keeps
 * watermarks plus explicit rows; after every step of a long random (seeded)
 * run of arriving items, item marks and "older than" marks (some from stale
 * pages), the list, the unread list, its pages and the counts must say what
 * the model says, for two users sharing feeds.
 */
import test from 'ava';
import type { Knex } from 'knex';
import {
  countUnread,
  listFollowedFeeds,
  listReaderItems,
  markItems,
  markOlderThan,
  newestItemId,
  type ReaderItem,
} from '../../src/reader';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aUser } from '../helpers/factories';
import { addItems, aFeed, follow } from './support';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ModelItem {
  readonly id: number;
  readonly feedId: number;
  readonly sort: number;
}

const DAY = 86_400_000;
const BASE = Date.UTC(2025, 0, 1);

function sortedNewestFirst(items: ModelItem[]): ModelItem[] {
  return [...items].sort((a, b) => b.sort - a.sort || b.id - a.id);
}

test('watermarks and explicit states agree with marking item by item', async (t) => {
  const knex: Knex = db.knex;
  const alice = await aUser();
  const bob = await aUser();
  const feeds = [await aFeed(knex), await aFeed(knex), await aFeed(knex), await aFeed(knex)];
  const follows = new Map<number, number[]>([
    [alice.id, [feeds[0]!, feeds[1]!, feeds[2]!]],
    [bob.id, [feeds[1]!, feeds[2]!, feeds[3]!]],
  ]);
  for (const [userId, feedIds] of follows) {
    for (const feedId of feedIds) await follow(knex, userId, feedId);
  }
  const items: ModelItem[] = [];
  // The model: the set of read item ids per user (everything else is unread).
  const read = new Map<number, Set<number>>([
    [alice.id, new Set()],
    [bob.id, new Set()],
  ]);
  const seenMaxIds: number[] = [0];
  const next = random(18);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;

  const check = async (step: string, userId: number) => {
    const followed = follows.get(userId)!;
    const mine = sortedNewestFirst(items.filter((item) => followed.includes(item.feedId)));
    const unread = mine.filter((item) => !read.get(userId)!.has(item.id));
    const all = await listReaderItems(knex, { userId, unreadOnly: false, limit: 1000 });
    t.deepEqual(
      all.items.map((item: ReaderItem) => [item.id, item.read]),
      mine.map((item) => [item.id, read.get(userId)!.has(item.id)]),
      `${step}: the list and its read flags`,
    );
    const onlyUnread = await listReaderItems(knex, { userId, unreadOnly: true, limit: 1000 });
    t.deepEqual(
      onlyUnread.items.map((item) => item.id),
      unread.map((item) => item.id),
      `${step}: the unread list`,
    );
    const counts = await listFollowedFeeds(knex, { userId });
    t.deepEqual(
      counts.map((feed) => [feed.id, feed.unread]).sort((a, b) => a[0]! - b[0]!),
      followed
        .map((feedId) => [feedId, unread.filter((item) => item.feedId === feedId).length])
        .sort((a, b) => a[0]! - b[0]!),
      `${step}: unread per feed`,
    );
    t.deepEqual(
      await countUnread(knex, userId),
      { count: unread.length, more: false },
      `${step}: unread in all`,
    );
    // Counting stops at the cap, whatever the explicit rows take away or add.
    t.deepEqual(
      await countUnread(knex, userId, 7),
      unread.length > 7 ? { count: 7, more: true } : { count: unread.length, more: false },
      `${step}: unread in all, capped`,
    );
  };

  for (let step = 0; step < 160; step++) {
    const roll = next();
    const userId = pick([alice.id, bob.id]);
    let label: string;
    if (roll < 0.3 || items.length === 0) {
      const feedId = pick(feeds);
      const count = 1 + Math.floor(next() * 4);
      const specs = Array.from({ length: count }, () => {
        const sort = BASE + Math.floor(next() * 60) * DAY + Math.floor(next() * 1000);
        // Some items come without a date: they sort by when they were first seen.
        return next() < 0.2
          ? { date: null, firstSeenAt: new Date(sort) }
          : { date: new Date(sort), firstSeenAt: new Date(BASE + 90 * DAY) };
      });
      const ids = await addItems(knex, feedId, specs);
      ids.forEach((id, i) => {
        items.push({ id, feedId, sort: (specs[i]!.date ?? specs[i]!.firstSeenAt).getTime() });
      });
      seenMaxIds.push(await newestItemId(knex));
      label = `step ${step}: ${count} items arrive in feed ${feedId}`;
    } else if (roll < 0.65) {
      const chosen = Array.from({ length: 1 + Math.floor(next() * 5) }, () => pick(items).id);
      const asRead = next() < 0.6;
      const found = await markItems(knex, { userId, itemIds: chosen, read: asRead });
      const followed = follows.get(userId)!;
      const visible = chosen.filter((id) =>
        followed.includes(items.find((item) => item.id === id)!.feedId),
      );
      t.deepEqual([...found].sort(), [...new Set(visible)].sort(), 'found: followed items only');
      for (const id of visible) {
        if (asRead) read.get(userId)!.add(id);
        else read.get(userId)!.delete(id);
      }
      label = `step ${step}: user ${userId} marks ${chosen} ${asRead ? 'read' : 'unread'}`;
    } else {
      // Older than a date (or everything), over every feed or one, from a
      // current page or a stale one (a lower id bound).
      const before = next() < 0.25 ? null : new Date(BASE + Math.floor(next() * 62) * DAY);
      const through = next() < 0.7 ? await newestItemId(knex) : pick(seenMaxIds);
      const followed = follows.get(userId)!;
      const feedId = next() < 0.5 ? undefined : pick(followed);
      await markOlderThan(knex, { scope: { userId, feedId }, before, throughItemId: through });
      for (const item of items) {
        const inScope =
          feedId === undefined ? followed.includes(item.feedId) : item.feedId === feedId;
        if (inScope && item.id <= through && (before === null || item.sort < before.getTime())) {
          read.get(userId)!.add(item.id);
        }
      }
      label = `step ${step}: user ${userId} marks feed ${feedId ?? 'all'} older than ${before?.toISOString() ?? 'now'} through ${through}`;
    }
    await check(label, alice.id);
    await check(label, bob.id);
  }

  // Paging through the unread list by cursor gives the same list, in order.
  for (const userId of [alice.id, bob.id]) {
    const whole = await listReaderItems(knex, { userId, unreadOnly: true, limit: 1000 });
    const paged: number[] = [];
    let before: ReaderItem['cursor'] | undefined;
    for (;;) {
      const page = await listReaderItems(knex, { userId, unreadOnly: true, limit: 10, before });
      paged.push(...page.items.map((item) => item.id));
      if (!page.next) break;
      before = page.next;
    }
    t.deepEqual(
      paged,
      whole.items.map((item) => item.id),
      'pages join up',
    );
  }

  // Explicit rows stay few: only where an item differs from its watermark.
  const { rows } = await knex.raw('select count(*)::int as n from feed_item_states');
  t.true(rows[0].n < items.length * 2, `${rows[0].n} state rows for ${items.length} items`);
});

test('an item that arrives after "mark all read" with an older date stays unread', async (t) => {
  const knex = db.knex;
  const user = await aUser();
  const feedId = await aFeed(knex);
  await follow(knex, user.id, feedId);
  await addItems(knex, feedId, [{ date: new Date('2025-02-01T00:00:00Z') }]);
  await markOlderThan(knex, { scope: { userId: user.id }, before: null });
  t.deepEqual(await countUnread(knex, user.id), { count: 0, more: false });
  // A late arrival, dated before the mark: the user never saw it.
  const [late] = await addItems(knex, feedId, [{ date: new Date('2025-01-15T00:00:00Z') }]);
  const unread = await listReaderItems(knex, { userId: user.id, unreadOnly: true, limit: 10 });
  t.deepEqual(
    unread.items.map((item) => item.id),
    [late],
  );
  // "Older than" a date marks by the item's date, and only what existed then.
  await markOlderThan(knex, {
    scope: { userId: user.id },
    before: new Date('2025-01-20T00:00:00Z'),
  });
  t.deepEqual(await countUnread(knex, user.id), { count: 0, more: false });
  const { rows } = await knex.raw(
    'select read_through_item_id, read_before from feed_subscriptions where user_id = ?',
    [user.id],
  );
  t.is(rows.length, 1, 'one watermark row, however many items it covers');
});
