/**
 * OPML and categories: folders in a file become the user's categories (the
 * nearest folder of each feed, matched case-insensitively), a feed already
 * filed stays where it is, and an export read back into another account
 * gives the same feeds in the same categories.
 */
import test from 'ava';
import { exportOpml, importOpml, parseOpml } from '../../src/feeds';
import { createCategory, listCategories, setFeedCategory } from '../../src/reader';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aUser } from '../helpers/factories';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

const FILE = `<?xml version="1.0"?>
<opml version="2.0">
  <head><title>From another reader</title></head>
  <body>
    <outline text="Tech &amp; &lt;Code&gt; &quot;daily&quot;">
      <outline type="rss" text="Alpha" xmlUrl="https://alpha.example/feed.xml"/>
      <outline title="Rust">
        <outline type="rss" text="Beta" xmlUrl="https://beta.example/feed.xml"/>
      </outline>
      <outline type="rss" text="Gamma" xmlUrl="https://gamma.example/feed.xml"/>
    </outline>
    <outline text="News">
      <outline type="rss" text="Delta" xmlUrl="https://delta.example/feed.xml"/>
      <outline type="rss" text="Alpha again" xmlUrl="https://alpha.example/feed.xml"/>
    </outline>
    <outline type="rss" text="Loose" xmlUrl="https://loose.example/feed.xml"/>
    <outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/>
    <outline text="Empty folder"></outline>
  </body>
</opml>`;

/** url → category title (or null), for a user. */
async function filing(userId: number): Promise<Record<string, string | null>> {
  const rows = await db
    .knex('feed_subscriptions as s')
    .join('feeds as f', 'f.id', 's.feed_id')
    .leftJoin('feed_categories as c', 'c.id', 's.category_id')
    .where('s.user_id', userId)
    .select('f.url', 'c.title');
  return Object.fromEntries(
    rows.map((row: { url: string; title: string | null }) => [row.url, row.title]),
  );
}

test('parseOpml gives each feed its nearest folder', (t) => {
  const outlines = parseOpml(FILE);
  t.deepEqual(
    outlines.map((outline) => [outline.title, outline.category]),
    [
      ['Alpha', 'Tech & <Code> "daily"'],
      ['Beta', 'Rust'],
      ['Gamma', 'Tech & <Code> "daily"'],
      ['Delta', 'News'],
      ['Alpha again', 'News'],
      ['Loose', null],
      ['Bad', null],
    ],
  );
});

test('an OPML file nested deeper than any real one is refused, not read for minutes', (t) => {
  const deep = `<opml version="2.0"><body>${'<outline text="f">'.repeat(50_000)}${'</outline>'.repeat(50_000)}</body></opml>`;
  t.throws(() => parseOpml(deep), { message: /nests outlines more than 256 deep/ });
});

test('import files feeds under categories; a filed feed stays; export and re-import round-trip', async (t) => {
  const alice = await aUser();
  const knex = db.knex;
  // Alice already has "news" (lower case) and follows Gamma, filed under her own "Mine".
  await createCategory(knex, { userId: alice.id, title: 'news' });
  const mine = await createCategory(knex, { userId: alice.id, title: 'Mine' });
  const [gamma] = await knex('feeds')
    .insert({ url: 'https://gamma.example/feed.xml' })
    .returning('id');
  await knex('feed_subscriptions').insert({ user_id: alice.id, feed_id: gamma.id });
  await setFeedCategory(knex, { userId: alice.id, feedId: gamma.id, categoryId: mine.id });

  const result = await importOpml({ knex }, { userId: alice.id, opml: FILE, maxFeeds: 500 });
  t.deepEqual(result, { added: 4, alreadyFollowed: 1, invalid: 1, categorised: 3 });
  t.deepEqual(await filing(alice.id), {
    'https://alpha.example/feed.xml': 'Tech & <Code> "daily"',
    'https://beta.example/feed.xml': 'Rust',
    'https://gamma.example/feed.xml': 'Mine',
    'https://delta.example/feed.xml': 'news',
    'https://loose.example/feed.xml': null,
  });
  t.deepEqual(
    (await listCategories(knex, alice.id)).map((c) => [c.title, c.feeds]),
    [
      ['Mine', 1],
      ['news', 1],
      ['Rust', 1],
      ['Tech & <Code> "daily"', 1],
    ],
    'the existing "news" was reused, not doubled; no category for an empty folder',
  );
  // Importing the same file again changes nothing.
  t.deepEqual(await importOpml({ knex }, { userId: alice.id, opml: FILE, maxFeeds: 500 }), {
    added: 0,
    alreadyFollowed: 5,
    invalid: 1,
    categorised: 0,
  });

  const exported = await exportOpml({ knex }, { userId: alice.id, username: 'alice' });
  t.regex(exported, /<outline text="Tech &amp; &lt;Code&gt; &quot;daily&quot;"/);
  t.deepEqual(
    Object.fromEntries(parseOpml(exported).map((o) => [o.xmlUrl, o.category])),
    await filing(alice.id),
    'the export says what the database says',
  );

  const bob = await aUser();
  t.deepEqual(await importOpml({ knex }, { userId: bob.id, opml: exported, maxFeeds: 500 }), {
    added: 5,
    alreadyFollowed: 0,
    invalid: 0,
    categorised: 4,
  });
  t.deepEqual(await filing(bob.id), await filing(alice.id), 'round trip: same feeds, same folders');
  const again = await exportOpml({ knex }, { userId: bob.id, username: 'bob' });
  t.is(
    again.replace(/<dateCreated>.*<\/dateCreated>|Feeds followed by \w+/g, ''),
    exported.replace(/<dateCreated>.*<\/dateCreated>|Feeds followed by \w+/g, ''),
  );
});

test('a category in the export keeps its place even with no feeds', async (t) => {
  const carol = await aUser();
  await createCategory(db.knex, { userId: carol.id, title: 'Later' });
  const exported = await exportOpml({ knex: db.knex }, { userId: carol.id, username: 'carol' });
  t.regex(exported, /<outline text="Later" title="Later">\s*<\/outline>/);
});
