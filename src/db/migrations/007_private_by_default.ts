import type { Knex } from 'knex';

/**
 * "Private by default": a person's choice that new bookmarks start private
 * (the Add form's box comes ticked; an API create without `private` follows
 * it). A constant default: PostgreSQL adds the column without rewriting users.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('bookmarks_private_by_default').notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('bookmarks_private_by_default');
  });
}
