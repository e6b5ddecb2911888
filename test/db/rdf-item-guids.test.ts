/**
 * Migration 011: RDF items stored under the old parser's fallback guid are
 * moved to their link (their rdf:about), so the first poll after the upgrade
 * finds them instead of storing every current item a second time.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { up } from '../../src/db/migrations/011_rdf_item_guids';
import { FeedItem, refreshFeed } from '../../src/feeds';
import { aFeed, feedsConfig, openFetcher } from '../feeds/helpers';
import { fixture, serveFeed, startFixtureServer } from '../fetcher/fixture-server';
import { createTestDatabase } from '../helpers/database';

const oldGuid = (link: string, title: string) =>
  `sha256:${createHash('sha256').update(`${link}\n${title}`).digest('hex')}`;

test('old RDF guids move to the link, and the next poll stores no item twice', async (t) => {
  const db = await createTestDatabase();
  const server = await startFixtureServer();
  const fetcher = openFetcher();
  t.teardown(async () => {
    await fetcher.close();
    await server.close();
    await db.close();
  });
  server.route('/rss1.rdf', serveFeed(fixture('rss1.rdf'), { contentType: 'application/rdf+xml' }));
  const feed = await aFeed(server.url('/rss1.rdf'), { metadata: { format: 'rdf' } });
  // As the old parser stored them: no id, so a hash of link and title.
  const stored = [
    ['https://rdf.example.org/a', 'Item A'],
    ['https://rdf.example.org/b', 'Item B'],
  ];
  await db.knex('feed_items').insert(
    stored.map(([link, title]) => ({
      feed_id: feed.id,
      guid: oldGuid(link!, title!),
      link,
      title,
    })),
  );
  // An Atom feed's hashed item is not touched.
  const atom = await aFeed('https://atom.example.org/feed', { metadata: { format: 'atom' } });
  const atomGuid = oldGuid('https://atom.example.org/x', 'X');
  await db
    .knex('feed_items')
    .insert({ feed_id: atom.id, guid: atomGuid, link: 'https://atom.example.org/x' });

  await up(db.knex);
  const guids = (await FeedItem.query().where('feed_id', feed.id).orderBy('guid')).map(
    (i) => i.guid,
  );
  t.deepEqual(guids, ['https://rdf.example.org/a', 'https://rdf.example.org/b']);
  t.is((await FeedItem.query().where('feed_id', atom.id).first())?.guid, atomGuid);

  const outcome = await refreshFeed(
    { knex: db.knex, fetcher, config: feedsConfig },
    { feedId: feed.id },
  );
  t.is(outcome.status, 'success', outcome.error ?? undefined);
  t.is(await FeedItem.query().where('feed_id', feed.id).resultSize(), 2, 'no item stored twice');
});
