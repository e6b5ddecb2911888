import type { Knex } from 'knex';

/**
 * Security hardening (#15):
 * - `sessions`: server-side sessions, so logout, a password change and "sign
 *   out everywhere" really end them. The id is the SHA-256 of the cookie's
 *   session id (a leaked table holds no usable session). `user_id` is null
 *   for anonymous visitors (a CSRF token, a flash message).
 * - `rate_limits`: rate-limiter-flexible's PostgreSQL store (its own column
 *   layout), for the login and registration throttles; it replaces
 *   `login_failures`.
 * - `tags (name)`: the tag filter looks tags up by name across owners
 *   (`/t/<tag>`, `/bookmarks?tag=`).
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('sessions', (t) => {
    t.string('id', 64).primary();
    t.bigInteger('user_id').references('users.id').onDelete('CASCADE');
    t.jsonb('data').notNullable().defaultTo('{}');
    t.timestamp('expires_at', { useTz: true }).notNullable();
    t.timestamps(true, true);
  });
  await knex.raw(
    'CREATE INDEX sessions_user_id_index ON sessions (user_id) WHERE user_id IS NOT NULL',
  );
  await knex.raw('CREATE INDEX sessions_expires_at_index ON sessions (expires_at)');

  // Exactly the table RateLimiterPostgres would create itself (tableCreated: true).
  await knex.raw(`CREATE TABLE rate_limits (
    key varchar(255) PRIMARY KEY,
    points integer NOT NULL DEFAULT 0,
    expire bigint
  )`);
  await knex.raw('CREATE INDEX rate_limits_expire_index ON rate_limits (expire)');
  await knex.schema.dropTableIfExists('login_failures');

  await knex.raw('CREATE INDEX tags_name_index ON tags (name)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw('DROP INDEX IF EXISTS tags_name_index');
  await knex.schema.createTable('login_failures', (t) => {
    t.string('key', 300).primary();
    t.integer('failures').notNullable().defaultTo(0);
    t.timestamp('window_start', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
  await knex.schema.dropTableIfExists('rate_limits');
  await knex.schema.dropTableIfExists('sessions');
}
