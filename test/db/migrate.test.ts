import test from 'ava';
import type { Knex } from 'knex';
import { createKnex } from '../../src/db/connection';
import { migrateAll } from '../../src/db/migrate';
import { migrations } from '../../src/db/migrations';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
});
test.after.always(async () => {
  await db?.close();
});

// A knex that cannot reach any server: touching it fails the migration.
const unreachable = createKnex('postgres://nobody:x@127.0.0.1:1/none');
test.after.always(() => unreachable.destroy());
const unreachableKnex = () => unreachable;

test.serial('a current schema is recognised with one query: knex is not used', async (t) => {
  t.deepEqual(await migrateAll({ url: db.url, knex: unreachableKnex() }), []);
});

test.serial('a migration added since still runs, once', async (t) => {
  const added: typeof migrations = [
    ...migrations,
    [
      '900_test_added',
      {
        async up(knex: Knex) {
          await knex.schema.createTable('migrate_test_added', (table) => table.increments());
        },
        async down(knex: Knex) {
          await knex.schema.dropTable('migrate_test_added');
        },
      },
    ],
  ];
  t.deepEqual(await migrateAll(db, added), ['900_test_added']);
  t.true(await db.knex.schema.hasTable('migrate_test_added'));
  // Current again, with the added one: no knex needed.
  t.deepEqual(await migrateAll({ url: db.url, knex: unreachableKnex() }, added), []);
});

test.serial('a database that knows a migration the code does not goes to knex', async (t) => {
  // The previous test recorded 900_test_added; the plain list lacks it, so the
  // fast path must not call this current. knex then refuses, as it always has.
  const error = await t.throwsAsync(migrateAll(db));
  t.regex(error.message, /corrupt|missing/i);
});
