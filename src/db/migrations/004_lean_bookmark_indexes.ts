import type { Knex } from 'knex';

/**
 * Cheaper bookmark writes, for imports above all (npm run bench:import):
 * - `unique_hash` is hex, compared in the "C" collation: byte comparison
 *   instead of the database locale's strcoll in its unique index.
 * - `feed_url` is indexed only where there is one: most bookmarks have none,
 *   and a NULL entry cost every insert an index update no query uses (feeds
 *   look bookmarks up by `feed_url = ?`, which the partial index serves).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.raw('ALTER TABLE bookmarks ALTER COLUMN unique_hash TYPE varchar(64) COLLATE "C"');
  await knex.raw('DROP INDEX bookmarks_feed_url_index');
  await knex.raw(
    'CREATE INDEX bookmarks_feed_url_index ON bookmarks (feed_url) WHERE feed_url IS NOT NULL',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX bookmarks_feed_url_index');
  await knex.raw('CREATE INDEX bookmarks_feed_url_index ON bookmarks (feed_url)');
  await knex.raw(
    'ALTER TABLE bookmarks ALTER COLUMN unique_hash TYPE varchar(64) COLLATE "default"',
  );
}
