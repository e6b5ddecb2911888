import type { Knex } from 'knex';

/**
 * Crash-safe imports: `resume_cursor` is the number of records of the file
 * whose outcome is committed (written in the same transaction as each batch),
 * so a restarted job skips exactly those. `worker_heartbeats` lets a live
 * worker tell that another one died, and unlock its jobs without waiting out
 * graphile-worker's 4-hour lock.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('import_jobs', (t) => {
    t.integer('resume_cursor').notNullable().defaultTo(0);
  });
  await knex.schema.createTable('worker_heartbeats', (t) => {
    t.string('worker_id', 100).primary();
    t.string('process', 255).notNullable().defaultTo('');
    t.timestamp('started_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.timestamp('last_seen_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTableIfExists('worker_heartbeats');
  await knex.schema.alterTable('import_jobs', (t) => {
    t.dropColumn('resume_cursor');
  });
}
