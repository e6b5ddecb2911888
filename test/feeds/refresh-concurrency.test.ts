/**
 * A 304 or a failed poll writes the feed row with one conditional UPDATE
 * (same row version as read) instead of a locked transaction. These tests
 * write the row while the poll is fetching and check that nothing the other
 * writer did is lost, and that the common case really is one statement.
 */
import type http from 'node:http';
import test from 'ava';
import { Feed, refreshFeed } from '../../src/feeds';
import type { Fetcher } from '../../src/fetcher';
import { type FixtureServer, startFixtureServer } from '../fetcher/fixture-server';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aFeed, feedsConfig, openFetcher, uniquePath } from './helpers';

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

const deps = () => ({ knex: db.knex, fetcher, config: feedsConfig });

/**
 * A feed whose server first runs `meanwhile` (another writer, while the poll
 * is between its read and its write), then answers `status`.
 */
async function feedChangedMidPoll(
  status: number,
  meanwhile: (feedId: number) => PromiseLike<unknown>,
  fields: Partial<Feed> = {},
) {
  const path = uniquePath('concurrent');
  const feed = await aFeed(server.url(path), { etag: '"v1"', ...fields });
  server.route(path, (_req: http.IncomingMessage, res: http.ServerResponse) => {
    Promise.resolve(meanwhile(feed.id)).then(
      () => {
        res.statusCode = status;
        res.setHeader('ETag', '"v1"');
        res.end();
      },
      (error: unknown) => {
        res.statusCode = 599;
        res.end(String(error));
      },
    );
  });
  return feed;
}

test.serial('a 304 is one conditional UPDATE: no transaction, no second read', async (t) => {
  const feed = await feedChangedMidPoll(304, async () => {});
  const statements: string[] = [];
  const listen = (query: { sql: string }) => statements.push(query.sql);
  db.knex.on('query', listen);
  try {
    const outcome = await refreshFeed(deps(), { feedId: feed.id });
    t.is(outcome.status, 'not_modified');
  } finally {
    db.knex.off('query', listen);
  }
  t.is(statements.length, 2, statements.join('\n'));
  t.regex(statements[0]!, /^select/i);
  t.regex(statements[1]!, /^update "feeds".*xmin = /i);
  t.false(statements.some((sql) => /for update|^begin/i.test(sql)));
  const row = (await Feed.query().findById(feed.id))!;
  t.is(row.last_status, 'not_modified');
  t.is(row.error_count, 0);
});

test.serial('a failed poll does not undo a re-enable made while it was fetching', async (t) => {
  // Two errors so far; a third would disable it (maxErrors 3) if it counted from a stale row.
  const feed = await feedChangedMidPoll(
    500,
    (id) => Feed.query().patch({ error_count: 0, disabled: false }).where('id', id),
    { error_count: 2 },
  );
  const outcome = await refreshFeed(deps(), { feedId: feed.id });
  t.is(outcome.status, 'http_error');
  t.false(outcome.disabled);
  const row = (await Feed.query().findById(feed.id))!;
  t.is(row.error_count, 1, 'counted from the re-enabled row, not the one read before the fetch');
  t.false(row.disabled);
  t.is(row.last_status, 'http_error');
});

test.serial(
  'a 304 for a row changed while fetching is still recorded, the change kept',
  async (t) => {
    const feed = await feedChangedMidPoll(304, (id) =>
      Feed.query().patch({ title: 'Renamed meanwhile' }).where('id', id),
    );
    const outcome = await refreshFeed(deps(), { feedId: feed.id });
    t.is(outcome.status, 'not_modified');
    const row = (await Feed.query().findById(feed.id))!;
    t.is(row.title, 'Renamed meanwhile');
    t.is(row.last_status, 'not_modified');
    t.truthy(row.last_polled_at);
  },
);

test.serial('a 304 for a feed deleted while fetching is skipped; nothing comes back', async (t) => {
  const feed = await feedChangedMidPoll(304, (id) => Feed.query().deleteById(id));
  const outcome = await refreshFeed(deps(), { feedId: feed.id });
  t.is(outcome.status, 'skipped');
  t.is(await Feed.query().findById(feed.id), undefined);
});
