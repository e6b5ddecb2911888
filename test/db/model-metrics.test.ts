import test from 'ava';
import { renderPrometheus } from '../../otel/prometheus';
import { getTelemetry } from '../../otel/state';
import { Bookmark, Tag } from '../../src/bookmarks/models';
import { User } from '../../src/users/models';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { metricValue } from '../helpers/metrics';

let db: TestDatabase;
test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await db?.close();
});

async function counters(model: string) {
  const result = await renderPrometheus(getTelemetry().pullReader!, {
    scopeLabels: false,
    targetInfo: false,
  });
  if (!result.ok) throw new Error('collection failed');
  return {
    inserts: metricValue(result.body, 'model_inserts_total', { model }),
    updates: metricValue(result.body, 'model_updates_total', { model }),
    deletes: metricValue(result.body, 'model_deletes_total', { model }),
  };
}

async function aUser(name: string) {
  return User.query().insert({ username: name, email: `${name}@example.test`, password_hash: 'x' });
}

test.serial('a single insert counts one row', async (t) => {
  const before = await counters('user');
  await aUser('single');
  const after = await counters('user');
  t.is(after.inserts - before.inserts, 1);
});

test.serial('a bulk insert counts every row; a bulk patch and a delete count theirs', async (t) => {
  const user = await aUser('bulk');
  const before = await counters('tag');
  await Tag.query().insert([
    { owner_id: user.id, name: 'a' },
    { owner_id: user.id, name: 'b' },
    { owner_id: user.id, name: 'c' },
  ]);
  let now = await counters('tag');
  t.is(now.inserts - before.inserts, 3);

  const patched = await Tag.query().patch({ is_system: true }).where('owner_id', user.id);
  t.is(patched, 3);
  now = await counters('tag');
  t.is(now.updates - before.updates, 3);

  await Tag.query().delete().where({ owner_id: user.id, name: 'a' });
  now = await counters('tag');
  t.is(now.deletes - before.deletes, 1);
});

test.serial('a rolled-back insert is not counted; a committed one is, after commit', async (t) => {
  const user = await aUser('tx');
  const before = await counters('bookmark');
  await t.throwsAsync(
    Bookmark.transaction(async (trx) => {
      await Bookmark.query(trx).insert({
        owner_id: user.id,
        url: 'https://a.example/',
        unique_hash: 'a'.repeat(64),
      });
      throw new Error('roll back');
    }),
    { message: 'roll back' },
  );
  await new Promise((resolve) => setImmediate(resolve));
  t.is((await counters('bookmark')).inserts, before.inserts);

  await Bookmark.transaction(async (trx) => {
    await Bookmark.query(trx).insert({
      owner_id: user.id,
      url: 'https://b.example/',
      unique_hash: 'b'.repeat(64),
    });
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.is((await counters('bookmark')).inserts - before.inserts, 1);
});

test.serial('labels are the stable lower-case model names', async (t) => {
  const result = await renderPrometheus(getTelemetry().pullReader!, {
    scopeLabels: false,
    targetInfo: false,
  });
  t.true(result.ok);
  const models = new Set(
    [...(result.ok ? result.body : '').matchAll(/^model_\w+_total\{model="([^"]+)"/gm)].map(
      (m) => m[1],
    ),
  );
  t.deepEqual([...models].sort(), ['bookmark', 'tag', 'user']);
});
