/**
 * The write counters kept by the database (migration 009): every committed
 * row counted once, by the triggers, whoever writes it and however — bulk
 * statements, upserts, cascades, with triggers "off" for replication — and
 * nothing for a rolled-back transaction. Compaction moves events into totals
 * and rollups without losing or doubling one, even when it runs twice at once
 * while writers write.
 */
import test from 'ava';
import type { Knex } from 'knex';
import { labelBookmarkWrites } from '../../src/metrics';
import { compactEvents } from '../../src/metrics/rollups';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { databaseCounter } from '../helpers/database-metrics';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
});
test.after.always(async () => {
  await db?.close();
});

let users = 0;
async function aUser(knex: Knex = db.knex): Promise<number> {
  users += 1;
  const [row] = await knex('users')
    .insert({ username: `u${users}`, email: `u${users}@example.test`, password_hash: 'x' })
    .returning('id');
  return (row as { id: number }).id;
}

async function bookmarks(owner: number, count: number, knex: Knex = db.knex, prefix = 'b') {
  await knex('bookmarks').insert(
    Array.from({ length: count }, (_, i) => ({
      owner_id: owner,
      url: `https://${prefix}.example/${owner}/${i}`,
      unique_hash: `${prefix}-${owner}-${i}`,
    })),
  );
}

const counter = (name: string, labels: Record<string, string> = {}, userId?: number) =>
  databaseCounter(db.knex, name, labels, { userId });

test.serial('a bulk insert, a bulk update and a delete count their rows', async (t) => {
  const owner = await aUser();
  const before = {
    inserts: await counter('model_inserts', { model: 'tag' }),
    updates: await counter('model_updates', { model: 'tag' }),
    deletes: await counter('model_deletes', { model: 'tag' }),
  };
  await db.knex('tags').insert(['a', 'b', 'c'].map((name) => ({ owner_id: owner, name })));
  t.is(await counter('model_inserts', { model: 'tag' }), before.inserts + 3);
  t.is(await db.knex('tags').where('owner_id', owner).update({ is_system: true }), 3);
  t.is(await counter('model_updates', { model: 'tag' }), before.updates + 3);
  await db.knex('tags').where({ owner_id: owner, name: 'a' }).delete();
  t.is(await counter('model_deletes', { model: 'tag' }), before.deletes + 1);
  // A statement that touches nothing counts nothing.
  await db.knex('tags').where('owner_id', -1).update({ is_system: false });
  t.is(await counter('model_updates', { model: 'tag' }), before.updates + 3);
});

test.serial('a rolled-back transaction counts nothing', async (t) => {
  const owner = await aUser();
  const before = await counter('model_inserts', { model: 'bookmark' });
  await t.throwsAsync(
    db.knex.transaction(async (trx) => {
      await bookmarks(owner, 5, trx);
      throw new Error('roll back');
    }),
    { message: 'roll back' },
  );
  t.is(await counter('model_inserts', { model: 'bookmark' }), before);
  await db.knex.transaction((trx) => bookmarks(owner, 2, trx));
  t.is(await counter('model_inserts', { model: 'bookmark' }), before + 2);
});

test.serial(
  'bookmark writes carry the label their transaction gave, `other` without',
  async (t) => {
    const owner = await aUser();
    await db.knex.transaction(async (trx) => {
      await labelBookmarkWrites(trx, { source: 'cli' });
      await bookmarks(owner, 2, trx, 'cli');
    });
    await bookmarks(owner, 1, db.knex, 'bare');
    t.is(await counter('bookmarks_created', { source: 'cli' }, owner), 2);
    t.is(await counter('bookmarks_created', { source: 'other' }, owner), 1);
    // The setting is the transaction's: the next one on the same pool is unlabelled.
    await db.knex.transaction(async (trx) => {
      await labelBookmarkWrites(trx, { operation: 'tags' });
      await trx('bookmarks').where('owner_id', owner).update({ title: 'x' });
    });
    await db.knex('bookmarks').where('owner_id', owner).update({ title: 'y' });
    t.is(await counter('bookmarks_updated', { operation: 'tags' }, owner), 3);
    t.is(await counter('bookmarks_updated', { operation: 'other' }, owner), 3);
    // An upsert counts an insert or an update, never both.
    await db.knex.raw(
      `INSERT INTO bookmarks (owner_id, url, unique_hash) VALUES (?, 'https://u.example/', 'cli-${owner}-0'),
            (?, 'https://u.example/new', 'new-${owner}')
     ON CONFLICT (owner_id, unique_hash) DO UPDATE SET title = 'upserted'`,
      [owner, owner],
    );
    t.is(await counter('bookmarks_created', {}, owner), 4);
    t.is(await counter('bookmarks_updated', {}, owner), 7);
  },
);

test.serial('deleting a user counts the rows the cascade deletes', async (t) => {
  const owner = await aUser();
  await bookmarks(owner, 4);
  await db.knex('tags').insert([{ owner_id: owner, name: 'x' }]);
  const before = {
    bookmarks: await counter('model_deletes', { model: 'bookmark' }),
    tags: await counter('model_deletes', { model: 'tag' }),
    users: await counter('model_deletes', { model: 'user' }),
  };
  await db.knex('users').where('id', owner).delete();
  t.is(await counter('model_deletes', { model: 'bookmark' }), before.bookmarks + 4);
  t.is(await counter('model_deletes', { model: 'tag' }), before.tags + 1);
  t.is(await counter('model_deletes', { model: 'user' }), before.users + 1);
  t.is(await counter('bookmarks_deleted', {}, owner), 4);
});

test.serial('the counters count with triggers "off" for replication too', async (t) => {
  const owner = await aUser();
  const before = await counter('model_inserts', { model: 'bookmark' });
  await db.knex.transaction(async (trx) => {
    await trx.raw('SET LOCAL session_replication_role = replica');
    await bookmarks(owner, 3, trx, 'replica');
  });
  t.is(await counter('model_inserts', { model: 'bookmark' }), before + 3);
});

test.serial('inserts - deletes = rows, for every model', async (t) => {
  for (const [model, table] of [
    ['bookmark', 'bookmarks'],
    ['tag', 'tags'],
    ['user', 'users'],
  ] as const) {
    const rows = Number((await db.knex(table).count<{ n: string }[]>('* as n'))[0]!.n);
    const net =
      (await counter('model_inserts', { model })) - (await counter('model_deletes', { model }));
    t.is(net, rows, model);
  }
});

test.serial(
  'two compactions at once, with writers writing, move every event exactly once',
  async (t) => {
    const owners = await Promise.all([aUser(), aUser(), aUser()]);
    const before = await counter('model_inserts', { model: 'bookmark' });
    const writers = owners.map(async (owner, w) => {
      for (let i = 0; i < 20; i++) await bookmarks(owner, 5, db.knex, `c${w}x${i}`);
    });
    const compactions = (async () => {
      for (let i = 0; i < 10; i++)
        await Promise.all([compactEvents(db.knex), compactEvents(db.knex)]);
    })();
    await Promise.all([...writers, compactions]);
    t.is(await counter('model_inserts', { model: 'bookmark' }), before + 300);
    await compactEvents(db.knex);
    const pending = await db.knex('metric_events').count<{ n: string }[]>('* as n');
    t.is(Number(pending[0]!.n), 0, 'every event moved');
    t.is(await counter('model_inserts', { model: 'bookmark' }), before + 300);
    const aggregate = await db
      .knex('metric_totals')
      .where({ name: 'model_inserts' })
      .whereRaw(`labels = '{"model": "bookmark"}'`)
      .first('value');
    t.is(Number(aggregate.value), before + 300, 'the totals per label set agree');
    // The rollups hold the same events: per minute and per hour, each sums to the total.
    for (const resolution of [60, 3600]) {
      const { rows } = await db.knex.raw<{ rows: Array<{ value: number }> }>(
        `SELECT coalesce(sum(value), 0)::float8 AS value FROM metric_rollups
          WHERE name = 'model_inserts' AND labels = '{"model": "bookmark"}' AND resolution = ?`,
        [resolution],
      );
      t.is(rows[0]!.value, before + 300, `resolution ${resolution}`);
    }
  },
);
