import type { Knex } from 'knex';

/**
 * The reader: per-user read state on shared feed items, and categories.
 *
 * Items belong to feeds, not users, so read state is kept in two parts:
 * - a watermark per subscription: every item of the feed with
 *   `id <= read_through_item_id` AND `coalesce(date, first_seen_at) < read_before`
 *   is read. "Mark everything older than D" is one row update per feed,
 *   however many items that covers. The id bound keeps an item that arrives
 *   later with an older date unread: it was not there to be marked.
 * - `feed_item_states`: one row per item whose state differs from the
 *   watermark (read above it, unread below it).
 *
 * Indexes: `feed_items (feed_id, coalesce(date, first_seen_at) DESC, id DESC)`
 * serves every listing (they all sort that way: /feeds/:id, /feeds/get and
 * the reader) and "items newer than read_before"; it replaces
 * `(feed_id, date)`, which no query used (none sorts or filters by `date`
 * alone), so item inserts keep the same number of indexes.
 * `feed_items (feed_id, id)` serves "items that arrived after
 * read_through_item_id". With both, counting and listing unread items costs in
 * proportion to the unread items, not to the feed's history. Both carry
 * `date` and `first_seen_at`: PostgreSQL plans an index-only scan only when
 * the columns of the sort expression are in the index, and unread counts are
 * then read from the index alone, not from every item's row (npm run
 * bench:reader).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('feed_categories', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('title', 100).notNullable();
    t.timestamps(true, true);
    // The target of the subscriptions' (user_id, category_id) key below.
    t.unique(['user_id', 'id']);
  });
  await knex.raw(
    'CREATE UNIQUE INDEX feed_categories_user_title_unique ON feed_categories (user_id, lower(title))',
  );

  await knex.schema.alterTable('feed_subscriptions', (t) => {
    t.bigInteger('category_id');
    t.timestamp('read_before', { useTz: true }).notNullable().defaultTo('-infinity');
    t.bigInteger('read_through_item_id').notNullable().defaultTo(0);
  });
  // A subscription can only be filed under its own user's category; deleting
  // the category unfiles it (SET NULL of category_id only, not user_id).
  await knex.raw(`ALTER TABLE feed_subscriptions
    ADD CONSTRAINT feed_subscriptions_category_fk FOREIGN KEY (user_id, category_id)
    REFERENCES feed_categories (user_id, id) ON DELETE SET NULL (category_id)`);
  await knex.raw(
    'CREATE INDEX feed_subscriptions_category ON feed_subscriptions (category_id) WHERE category_id IS NOT NULL',
  );

  await knex.schema.createTable('feed_item_states', (t) => {
    t.bigInteger('item_id').notNullable().references('feed_items.id').onDelete('CASCADE');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.bigInteger('feed_id').notNullable().references('feeds.id').onDelete('CASCADE');
    t.boolean('read').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    // item_id first: "this item for this user" and the cascade from a deleted item.
    t.primary(['item_id', 'user_id']);
    t.index(['user_id', 'feed_id']);
  });

  await knex.raw('DROP INDEX IF EXISTS feed_items_feed_id_date_index');
  await knex.raw(
    `CREATE INDEX feed_items_feed_newest ON feed_items
       (feed_id, (coalesce(date, first_seen_at)) DESC, id DESC) INCLUDE (date, first_seen_at)`,
  );
  await knex.raw(
    'CREATE INDEX feed_items_feed_arrival ON feed_items (feed_id, id) INCLUDE (date, first_seen_at)',
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS feed_items_feed_arrival');
  await knex.raw('DROP INDEX IF EXISTS feed_items_feed_newest');
  await knex.raw('CREATE INDEX feed_items_feed_id_date_index ON feed_items (feed_id, date)');
  await knex.schema.dropTableIfExists('feed_item_states');
  await knex.raw('ALTER TABLE feed_subscriptions DROP CONSTRAINT feed_subscriptions_category_fk');
  await knex.schema.alterTable('feed_subscriptions', (t) => {
    t.dropColumn('read_through_item_id');
    t.dropColumn('read_before');
    t.dropColumn('category_id');
  });
  await knex.schema.dropTableIfExists('feed_categories');
}
