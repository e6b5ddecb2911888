import { randomBytes } from 'node:crypto';
import type { Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import { createKnex } from '../../src/db/connection';

export interface TestDatabase {
  readonly url: string;
  readonly knex: Knex;
  close(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url)
    throw new Error(
      'Run the tests with `npm test` (it starts PostgreSQL and sets TEST_ADMIN_DATABASE_URL).',
    );
  return url;
}

export function databaseUrl(database: string): string {
  const parsed = new URL(adminUrl());
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * A fresh, migrated database for one test file, cloned from the template that
 * `npm test` migrated once. Binds objection's models to it unless told not to
 * (startTestApp's app binds them itself).
 */
export async function createTestDatabase(
  options: { bindModels?: boolean } = {},
): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  const template = process.env.TEST_TEMPLATE_DATABASE ?? 'pebbling_template';
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const knex = createKnex(url);
  if (options.bindModels !== false) Model.knex(knex);
  return {
    url,
    knex,
    async close() {
      await knex.destroy();
      const client = new pg.Client({ connectionString: adminUrl() });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
      await client.end();
    },
  };
}
