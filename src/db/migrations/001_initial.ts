import type { Knex } from 'knex';

/** The schema of the original app, plus privacy, feed error tracking and API tokens. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.bigIncrements('id');
    t.string('username', 150).notNullable();
    t.string('email', 254).notNullable();
    t.text('password_hash').notNullable();
    t.timestamps(true, true);
  });
  // Case-insensitive uniqueness: "Alice" and "alice" are the same person.
  await knex.raw('CREATE UNIQUE INDEX users_username_lower_unique ON users (lower(username))');
  await knex.raw('CREATE UNIQUE INDEX users_email_lower_unique ON users (lower(email))');

  await knex.schema.createTable('profiles', (t) => {
    t.bigInteger('user_id').primary().references('users.id').onDelete('CASCADE');
    t.text('bio').notNullable().defaultTo('');
    t.timestamps(true, true);
  });

  await knex.schema.createTable('api_tokens', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('name', 100).notNullable().defaultTo('');
    // SHA-256 of the token: a leaked table does not leak usable tokens.
    t.string('token_hash', 64).notNullable().unique();
    t.string('token_prefix', 12).notNullable();
    t.timestamp('last_used_at', { useTz: true });
    t.timestamps(true, true);
    t.index(['user_id']);
  });

  await knex.schema.createTable('tags', (t) => {
    t.bigIncrements('id');
    t.bigInteger('owner_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('name', 64).notNullable();
    t.boolean('is_system').notNullable().defaultTo(false);
    t.timestamps(true, true);
    t.unique(['owner_id', 'name']);
  });

  await knex.schema.createTable('bookmarks', (t) => {
    t.bigIncrements('id');
    t.bigInteger('owner_id').notNullable().references('users.id').onDelete('CASCADE');
    t.string('url', 10240).notNullable();
    t.string('unique_hash', 64).notNullable();
    t.string('title', 255).notNullable().defaultTo('');
    t.text('description').notNullable().defaultTo('');
    t.boolean('private').notNullable().defaultTo(false);
    t.jsonb('unfurl_metadata');
    t.string('feed_url', 2048);
    t.timestamps(true, true);
    t.unique(['owner_id', 'unique_hash']);
    t.index(['owner_id', 'created_at']);
    t.index(['feed_url']);
  });
  // The public timeline only ever reads public rows, newest first.
  await knex.raw(
    'CREATE INDEX bookmarks_public_created_at ON bookmarks (created_at DESC) WHERE NOT private',
  );

  await knex.schema.createTable('bookmark_tags', (t) => {
    t.bigInteger('bookmark_id').notNullable().references('bookmarks.id').onDelete('CASCADE');
    t.bigInteger('tag_id').notNullable().references('tags.id').onDelete('CASCADE');
    t.primary(['bookmark_id', 'tag_id']);
    t.index(['tag_id']);
  });

  await knex.schema.createTable('feeds', (t) => {
    t.bigIncrements('id');
    t.string('url', 2048).notNullable().unique();
    t.string('title', 1024).notNullable().defaultTo('');
    t.timestamp('newest_item_date', { useTz: true });
    t.boolean('disabled').notNullable().defaultTo(false);
    t.string('etag', 1024);
    t.string('modified', 255);
    t.jsonb('metadata');
    t.integer('error_count').notNullable().defaultTo(0);
    t.text('last_error');
    t.string('last_status', 32);
    t.timestamp('last_polled_at', { useTz: true });
    t.timestamp('next_poll_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamps(true, true);
  });
  // The scheduler asks "which enabled feeds are due?" every cycle.
  await knex.raw('CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE NOT disabled');

  await knex.schema.createTable('feed_items', (t) => {
    t.bigIncrements('id');
    t.bigInteger('feed_id').notNullable().references('feeds.id').onDelete('CASCADE');
    t.string('guid', 2048).notNullable();
    t.timestamp('date', { useTz: true });
    t.string('link', 4096);
    t.text('title');
    t.text('summary');
    t.text('description');
    t.timestamp('first_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.jsonb('raw');
    t.unique(['feed_id', 'guid']);
    t.index(['feed_id', 'date']);
  });

  await knex.schema.createTable('feed_subscriptions', (t) => {
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.bigInteger('feed_id').notNullable().references('feeds.id').onDelete('CASCADE');
    t.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['user_id', 'feed_id']);
    t.index(['feed_id']);
  });

  await knex.schema.createTable('import_jobs', (t) => {
    t.bigIncrements('id');
    t.bigInteger('user_id').notNullable().references('users.id').onDelete('CASCADE');
    t.text('file_path').notNullable();
    t.string('original_filename', 255).notNullable().defaultTo('');
    t.string('format', 32);
    t.string('status', 16).notNullable().defaultTo('pending');
    t.bigInteger('file_size').notNullable().defaultTo(0);
    t.integer('total_bookmarks').notNullable().defaultTo(0);
    t.integer('processed_bookmarks').notNullable().defaultTo(0);
    t.integer('failed_bookmarks').notNullable().defaultTo(0);
    t.integer('created_bookmarks').notNullable().defaultTo(0);
    t.integer('updated_bookmarks').notNullable().defaultTo(0);
    t.integer('skipped_bookmarks').notNullable().defaultTo(0);
    t.text('error_message');
    t.jsonb('failed_bookmark_details').notNullable().defaultTo('[]');
    t.jsonb('options').notNullable().defaultTo('{}');
    t.timestamp('started_at', { useTz: true });
    t.timestamp('completed_at', { useTz: true });
    t.timestamps(true, true);
    t.index(['user_id', 'created_at']);
  });
  await knex.raw(`ALTER TABLE import_jobs ADD CONSTRAINT import_jobs_status_check
    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled'))`);
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'import_jobs',
    'feed_subscriptions',
    'feed_items',
    'feeds',
    'bookmark_tags',
    'bookmarks',
    'tags',
    'api_tokens',
    'profiles',
    'users',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
}
