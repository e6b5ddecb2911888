/**
 * Migration 012: feeds that were polled before it get a due time (their
 * next_poll_at), so feeds_overdue neither counts every polled feed at once
 * after the upgrade nor misses one whose server asked for a long wait.
 */
import test from 'ava';
import { down, up } from '../../src/db/migrations/012_feed_poll_due_at';
import { createTestDatabase } from '../helpers/database';

test('polled feeds take their next_poll_at as due time; never-polled ones have none', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.close());
  // As the schema was before: the test database is migrated to the latest.
  await down(db.knex);
  const inTwoDays = new Date(Date.now() + 2 * 86_400_000);
  const [polled] = await db
    .knex('feeds')
    .insert({
      url: 'https://polled.example/feed',
      last_polled_at: new Date(),
      next_poll_at: inTwoDays,
    })
    .returning('id');
  const [fresh] = await db
    .knex('feeds')
    .insert({ url: 'https://fresh.example/feed' })
    .returning('id');

  await up(db.knex);
  const dueOf = async (id: number) =>
    (await db.knex('feeds').where({ id }).first('poll_due_at')).poll_due_at as Date | null;
  t.deepEqual(await dueOf(polled.id), inTwoDays);
  t.is(await dueOf(fresh.id), null);
});
