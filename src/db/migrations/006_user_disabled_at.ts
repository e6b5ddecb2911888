import type { Knex } from 'knex';

/**
 * An administrator can disable an account (`npm run cli -- user:disable`):
 * while disabled_at is set the user cannot sign in, and their sessions and
 * API tokens are refused. Nothing is deleted; user:enable clears it.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.timestamp('disabled_at', { useTz: true });
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('disabled_at');
  });
}
