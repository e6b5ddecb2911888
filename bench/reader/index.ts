/**
 * The reader's read-state queries on a realistic history: one user following
 * FEEDS feeds of ITEMS items each (as many again followed by nobody), in two
 * states: nothing ever marked (everything unread), and "marked all read"
 * followed by a few new items per feed and some items read one by one (the
 * everyday state). Timed: the navigation's unread count, the first page of
 * the unread list, the feed list with counts, and "mark all read".
 * The baseline is the same answer from the plain query one writes first
 * (join every item of the followed feeds, filter by read state), so the
 * ratio shows what the watermark split and its indexes buy.
 */
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/connection';
import {
  countUnread,
  listFollowedFeeds,
  listReaderItems,
  markItems,
  markOlderThan,
  unreadText,
} from '../../src/reader';
import { cpuMsOf, processTree } from '../lib/cpu';
import { POSTGRES_NOTE, startBenchPostgres } from '../lib/postgres';
import { log, Recorder, runBench } from '../lib/results';
import { median, round } from '../lib/stats';

const FEEDS = Number(process.env.BENCH_READER_FEEDS ?? 300);
const ITEMS = Number(process.env.BENCH_READER_ITEMS ?? 400);
const RUNS = Number(process.env.BENCH_READER_RUNS ?? 30);

const ABOVE = `(coalesce(i.date, i.first_seen_at) >= s.read_before or i.id > s.read_through_item_id)`;
const NAIVE_FROM = `from feed_subscriptions s
  join feed_items i on i.feed_id = s.feed_id
  left join feed_item_states st on st.item_id = i.id and st.user_id = s.user_id
  where s.user_id = ? and not coalesce(st.read, not ${ABOVE})`;
const NAIVE_COUNT = `select count(*)::int as n ${NAIVE_FROM}`;
const NAIVE_PAGE = `select i.id ${NAIVE_FROM}
  order by coalesce(i.date, i.first_seen_at) desc, i.id desc limit 51`;

async function seed(knex: Knex): Promise<number> {
  const [user] = await knex('users')
    .insert({ username: 'reader', email: 'reader@example.test', password_hash: 'x' })
    .returning('id');
  await knex.raw(
    `insert into feeds (url, title) select 'https://feeds.example/' || n || '.xml', 'Feed ' || n
       from generate_series(1, ?) n`,
    [FEEDS * 2],
  );
  // Dated over the last year, a few without a date; inserted oldest first.
  await knex.raw(
    `insert into feed_items (feed_id, guid, date, first_seen_at, title, link)
     select f.id, 'g' || k, case when k % 17 = 0 then null
                                 else now() - (? - k) * interval '21 hours' end,
            now() - (? - k) * interval '21 hours', 'Item ' || k, 'https://items.example/' || f.id || '/' || k
       from generate_series(1, ?) k cross join feeds f order by k, f.id`,
    [ITEMS, ITEMS, ITEMS],
  );
  await knex.raw(
    `insert into feed_subscriptions (user_id, feed_id) select ?, id from feeds where id <= ?`,
    [user.id, FEEDS],
  );
  await knex.raw('vacuum analyze');
  return user.id;
}

async function addNewItemsAndReadSome(knex: Knex, userId: number): Promise<void> {
  await knex.raw(
    `insert into feed_items (feed_id, guid, date, first_seen_at, title)
     select f.id, 'new' || k, now() - k * interval '1 minute', now(), 'New ' || k
       from generate_series(1, 5) k cross join feeds f`,
  );
  const { rows } = await knex.raw(
    `select i.id from feed_items i where i.guid like 'new%' and i.feed_id <= ? order by i.id limit 200`,
    [FEEDS],
  );
  await markItems(knex, { userId, itemIds: rows.map((r: { id: number }) => r.id), read: true });
  await knex.raw('vacuum analyze');
}

interface Timing {
  readonly ms: number;
  readonly cpuMs: number;
}

/** Median wall time over RUNS calls, and PostgreSQL CPU per call. */
async function time(pgPid: number | undefined, run: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < 3; i++) await run();
  const pids = pgPid ? processTree(pgPid) : [];
  const cpu = () => pids.reduce((sum, pid) => sum + cpuMsOf(pid), 0);
  const before = cpu();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(samples), cpuMs: (cpu() - before) / RUNS };
}

async function main(): Promise<void> {
  const rec = new Recorder('reader', 'Reader: unread counts and lists', 'npm run bench:reader');
  const pg = await startBenchPostgres();
  const url = await pg.createDatabase('bench_reader');
  const knex = createKnex(url);
  try {
    const userId = await seed(knex);
    log(`seeded ${FEEDS} followed feeds × ${ITEMS} items (and as many unfollowed)`);
    const measure = async (state: string) => {
      const count = await time(pg.pid(), () => countUnread(knex, userId));
      const naiveCount = await time(pg.pid(), () => knex.raw(NAIVE_COUNT, [userId]));
      const page = await time(pg.pid(), () =>
        listReaderItems(knex, { userId, unreadOnly: true, limit: 50 }),
      );
      const naivePage = await time(pg.pid(), () => knex.raw(NAIVE_PAGE, [userId]));
      const feeds = await time(pg.pid(), () => listFollowedFeeds(knex, { userId }));
      const unread = unreadText(await countUnread(knex, userId));
      const detail = (t: Timing) => `PostgreSQL CPU ${round(t.cpuMs, 2)} ms a call`;
      rec.add({
        id: `reader.${state}.count`,
        label: `${state}: unread count (navigation), ${unread} unread`,
        unit: 'ms',
        value: count.ms,
        baseline: { label: 'plain join', value: naiveCount.ms },
        detail: detail(count),
      });
      rec.add({
        id: `reader.${state}.page`,
        label: `${state}: first page of unread items (50)`,
        unit: 'ms',
        value: page.ms,
        baseline: { label: 'plain join', value: naivePage.ms },
        detail: detail(page),
      });
      rec.add({
        id: `reader.${state}.feeds`,
        label: `${state}: ${FEEDS} feeds with unread counts`,
        unit: 'ms',
        value: feeds.ms,
        detail: detail(feeds),
      });
    };
    await measure('nothing marked');
    const mark = await time(pg.pid(), () =>
      markOlderThan(knex, { scope: { userId }, before: null }),
    );
    rec.add({
      id: 'reader.mark_all',
      label: `mark all read (${FEEDS} feeds, ${FEEDS * ITEMS} items)`,
      unit: 'ms',
      value: mark.ms,
      detail: `PostgreSQL CPU ${round(mark.cpuMs, 2)} ms a call`,
    });
    await addNewItemsAndReadSome(knex, userId);
    await measure('everyday');
    rec.notes.push(
      'Design: read state is a watermark per subscription plus explicit rows only where an item differs from it (src/reader/read-sql.ts). Unread items are two index ranges per followed feed (dated after the watermark; arrived after it), so the work follows the unread items and the number of feeds, not the history. The navigation total stops counting at 1000 (it reads at most 1000 + explicit reads rows); the per-feed counts are exact. The list takes at most one page per feed (LATERAL, newest first by index), picks the page from ids and dates, then reads 51 rows.',
      'Where it still costs: with nothing ever marked, every item is unread and the exact per-feed counts read every index entry (120 000 here); the first page reads one page per feed (300 × 51 index entries). After "mark all read" both follow the few new items.',
    );
    // The count's first two sets, as countUnread runs them: each through its index.
    const { rows } = await knex.raw(
      `explain select (select count(*) from feed_items i where i.feed_id = s.feed_id
         and coalesce(i.date, i.first_seen_at) >= s.read_before)
        + (select count(*) from feed_items i where i.feed_id = s.feed_id
         and i.id > s.read_through_item_id and coalesce(i.date, i.first_seen_at) < s.read_before)
         from feed_subscriptions s where s.user_id = ?`,
      [userId],
    );
    const planText = rows.map((r: { 'QUERY PLAN': string }) => r['QUERY PLAN']).join(' ');
    rec.notes.push(
      `Plan of the unread count: ${['feed_items_feed_newest', 'feed_items_feed_arrival']
        .map((name) => `${name} ${planText.includes(name) ? 'used' : 'NOT used'}`)
        .join(', ')}.`,
    );
    rec.method.push(
      `${FEEDS} followed feeds × ${ITEMS} items (${FEEDS * ITEMS} items), as many unfollowed; every 17th item undated; seeded with generate_series, then VACUUM ANALYZE.`,
      '"nothing marked": every item unread. "everyday": after "mark all read", 5 new items per feed, 200 of them read one by one.',
      `Each figure: median wall time of ${RUNS} calls from this process after 3 warm-up calls (one connection, round trips included); PostgreSQL CPU from /proc over the same calls.`,
      'Baseline: the same answer from one plain join of every followed item with its state, filtered by the read rule.',
      POSTGRES_NOTE,
    );
  } finally {
    await knex.destroy();
    await pg.stop();
  }
  rec.write();
}

runBench(main);
