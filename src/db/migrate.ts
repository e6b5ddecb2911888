import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import type { Knex } from 'knex';
import pg from 'pg';
import { migrations } from './migrations';

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([n]) => n === name);
    if (!found) throw new Error(`Unknown migration ${name}`);
    return found[1];
  },
};

/** Applies pending migrations; returns the names it applied. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource: source })) as [
    number,
    string[],
  ];
  return applied;
}

export async function migrateRollback(knex: Knex): Promise<string[]> {
  const [, reverted] = (await knex.migrate.rollback({ migrationSource: source })) as [
    number,
    string[],
  ];
  return reverted;
}

const MIGRATION_LOCK = 7_215_904_312;

/**
 * Applies our migrations and graphile-worker's. Serialised with an advisory
 * lock so several processes starting at once (2 web + 2 workers) do not race
 * knex's own migration lock, which fails instead of waiting.
 */
export async function migrateAll(db: { url: string; knex: Knex }): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await migrateLatest(db.knex);
    await runMigrations({ connectionString: db.url, logger: quietLogger });
    return applied;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

const quietLogger = new GraphileLogger(() => () => {});
