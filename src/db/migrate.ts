import { Logger as GraphileLogger, runMigrations } from 'graphile-worker';
import type { Knex } from 'knex';
import pg from 'pg';
import { createKnex } from './connection';
import { migrations } from './migrations';

type MigrationList = typeof migrations;

function sourceOf(list: MigrationList): Knex.MigrationSource<string> {
  return {
    getMigrations: async () => list.map(([name]) => name),
    getMigrationName: (name) => name,
    getMigration: async (name) => {
      const found = list.find(([n]) => n === name);
      if (!found) throw new Error(`Unknown migration ${name}`);
      return found[1];
    },
  };
}

const source = sourceOf(migrations);

/** Applies pending migrations; returns the names it applied. */
export async function migrateLatest(
  knex: Knex,
  list: MigrationList = migrations,
): Promise<string[]> {
  const [, applied] = (await knex.migrate.latest({ migrationSource: sourceOf(list) })) as [
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
 * knex's own migration lock, which fails instead of waiting. At most starts
 * nothing is pending: one query under the lock shows that, and knex (its lock
 * table, its list, its transaction) is left out. graphile-worker checks its
 * own schema version.
 */
export async function migrateAll(
  db: { url: string; knex: Knex },
  list: MigrationList = migrations,
): Promise<string[]> {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = (await isCurrent(client, list)) ? [] : await migrateOwnConnections(db, list);
    await runMigrations({ connectionString: db.url, logger: quietLogger });
    return applied;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await client.end();
  }
}

/**
 * On a knex of its own: the app's connections carry a statement_timeout
 * (DATABASE_STATEMENT_TIMEOUT_MS) that a long migration (an index on a big
 * table) must not run into.
 */
async function migrateOwnConnections(db: { url: string }, list: MigrationList): Promise<string[]> {
  const knex = createKnex(db.url, 2);
  try {
    return await migrateLatest(knex, list);
  } finally {
    await knex.destroy();
  }
}

/**
 * True when knex has recorded exactly the migrations in `list`. Anything else
 * (a new migration, no table yet, a name we do not know) goes through knex,
 * which applies what is pending or reports what is wrong.
 */
async function isCurrent(client: pg.Client, list: MigrationList): Promise<boolean> {
  let recorded: string[];
  try {
    const { rows } = await client.query<{ name: string }>('select name from knex_migrations');
    recorded = rows.map((row) => row.name);
  } catch (error) {
    if ((error as { code?: string }).code === '42P01') return false; // no such table
    throw error;
  }
  const names = new Set(list.map(([name]) => name));
  return recorded.length === names.size && recorded.every((name) => names.has(name));
}

const quietLogger = new GraphileLogger(() => () => {});
