/**
 * Bookmark metrics move by exactly the right amount with the right labels,
 * once per committed change; failed, refused and rolled-back writes move
 * nothing. Serial: every test compares whole scrapes before and after.
 */
import test from 'ava';
import { createOrUpdateBookmark } from '../../src/bookmarks';
import { startTestApp, type TestApp } from '../helpers/app';
import { api } from '../helpers/client';
import { aToken } from '../helpers/factories';
import { metricValue, parseMetrics, scrape } from '../helpers/metrics';
import { type Person, person } from './support';

let app: TestApp;
let me: Person;
let stranger: Person;
let token: string;

test.before(async () => {
  app = await startTestApp({ METRICS_ID_LABELS: 'true' }, 'web');
  me = await person(app, 'counted');
  stranger = await person(app, 'stranger');
  token = await aToken(me.id);
});
test.after.always(async () => {
  await app?.stop();
});

const FAMILIES = ['bookmarks_created_total', 'bookmarks_updated_total', 'bookmarks_deleted_total'];

/** Every bookmark series as "name{labels}" → value. */
async function snapshot(): Promise<Map<string, number>> {
  const text = await scrape(app.baseUrl);
  const map = new Map<string, number>();
  for (const sample of parseMetrics(text)) {
    if (!FAMILIES.includes(sample.name)) continue;
    const { otel_scope_name: _s, otel_scope_version: _v, ...labels } = sample.labels;
    const key = `${sample.name}${JSON.stringify(Object.entries(labels).sort())}`;
    map.set(key, (map.get(key) ?? 0) + sample.value);
  }
  return map;
}

function key(name: string, labels: Record<string, string | number>): string {
  const entries = Object.entries(labels)
    .map(([k, v]) => [k, String(v)])
    .sort();
  return `${name}${JSON.stringify(entries)}`;
}

/** What changed between two snapshots: only the non-zero differences. */
function changes(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const diff: Record<string, number> = {};
  for (const [k, v] of after) {
    const d = v - (before.get(k) ?? 0);
    if (d !== 0) diff[k] = d;
  }
  return diff;
}

async function moves(work: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await snapshot();
  await work();
  return changes(before, await snapshot());
}

const created = (userId: number, source: string) =>
  key('bookmarks_created_total', { user_id: userId, source });
const updated = (userId: number, operation: string) =>
  key('bookmarks_updated_total', { user_id: userId, operation });
const deleted = (userId: number) => key('bookmarks_deleted_total', { user_id: userId });

async function idOf(url: string): Promise<number> {
  return (await app.db.knex('bookmarks').where({ owner_id: me.id, url }).first()).id as number;
}

test.serial('a web save counts one bookmarks_created_total{source="web"}', async (t) => {
  const diff = await moves(() =>
    me.client.post('/bookmarks/new', { url: 'https://m.invalid/web' }),
  );
  t.deepEqual(diff, { [created(me.id, 'web')]: 1 });
});

test.serial('a bookmarklet save counts source="bookmarklet"', async (t) => {
  const diff = await moves(() =>
    me.client.post('/bookmarks/new', {
      url: 'https://m.invalid/bm',
      via: 'bookmarklet',
      next: 'same',
    }),
  );
  t.deepEqual(diff, { [created(me.id, 'bookmarklet')]: 1 });
});

test.serial('API and CLI saves count their own source', async (t) => {
  t.deepEqual(
    await moves(() =>
      api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, { url: 'https://m.invalid/api' }),
    ),
    { [created(me.id, 'api')]: 1 },
  );
  t.deepEqual(
    await moves(() =>
      createOrUpdateBookmark({
        ownerId: me.id,
        fields: { url: 'https://m.invalid/cli' },
        source: 'cli',
      }),
    ),
    { [created(me.id, 'cli')]: 1 },
  );
});

test.serial(
  're-saving a known URL counts an update (resave), not a creation; no change counts nothing',
  async (t) => {
    const url = 'https://m.invalid/resave';
    await api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, { url, title: 'one' });
    t.deepEqual(
      await moves(() =>
        api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, { url, title: 'two' }),
      ),
      { [updated(me.id, 'resave')]: 1 },
    );
    t.deepEqual(
      await moves(() =>
        api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, { url, title: 'two' }),
      ),
      {},
    );
  },
);

test.serial('edits count operation="edit", tag-only changes operation="tags"', async (t) => {
  const url = 'https://m.invalid/edit';
  await me.client.post('/bookmarks/new', { url, title: 'before', tags: 'a' });
  const id = await idOf(url);
  t.deepEqual(
    await moves(() => me.client.post(`/bookmarks/${id}/edit`, { url, title: 'after', tags: 'a' })),
    { [updated(me.id, 'edit')]: 1 },
  );
  t.deepEqual(
    await moves(() =>
      api(app.baseUrl, 'PATCH', `/api/v1/bookmarks/${id}`, token, { tags: ['a', 'b'] }),
    ),
    { [updated(me.id, 'tags')]: 1 },
  );
  // Saving the form unchanged is not a change.
  t.deepEqual(
    await moves(() =>
      me.client.post(`/bookmarks/${id}/edit`, { url, title: 'after', tags: 'a b' }),
    ),
    {},
  );
});

test.serial('a delete counts bookmarks_deleted_total once', async (t) => {
  const url = 'https://m.invalid/delete';
  await me.client.post('/bookmarks/new', { url });
  const id = await idOf(url);
  t.deepEqual(await moves(() => me.client.post(`/bookmarks/${id}/delete`)), {
    [deleted(me.id)]: 1,
  });
  t.deepEqual(
    await moves(() => api(app.baseUrl, 'DELETE', `/api/v1/bookmarks/${id}`, token)),
    {},
    'deleting what is gone (404) counts nothing',
  );
});

test.serial('invalid, refused and forbidden writes move nothing', async (t) => {
  const url = 'https://m.invalid/guarded';
  await me.client.post('/bookmarks/new', { url, title: 'mine' });
  const id = await idOf(url);
  const strangerToken = await aToken(stranger.id);
  const diff = await moves(async () => {
    t.is((await me.client.post('/bookmarks/new', { url: 'javascript:alert(1)' })).status, 422);
    t.is(
      (await me.client.post('/bookmarks/new', { url: 'https://m.invalid/x' }, { csrf: false }))
        .status,
      403,
    );
    t.is((await me.client.post(`/bookmarks/${id}/edit`, { url: 'ftp://nope' })).status, 422);
    t.is(
      (await stranger.client.post(`/bookmarks/${id}/edit`, { url, title: 'theirs' })).status,
      403,
    );
    t.is((await stranger.client.post(`/bookmarks/${id}/delete`)).status, 403);
    t.is(
      (await api(app.baseUrl, 'PATCH', `/api/v1/bookmarks/${id}`, strangerToken, { title: 'x' }))
        .status,
      403,
    );
    t.is((await api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, { url: 'nope' })).status, 422);
    t.is((await api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, '{bad json')).status, 400);
  });
  t.deepEqual(diff, {});
});

test.serial('a write the database rolls back (a constraint error) counts nothing', async (t) => {
  await app.db.knex.raw(`
    CREATE OR REPLACE FUNCTION refuse_kaboom() RETURNS trigger AS $$
    BEGIN
      IF NEW.name = 'kaboom' THEN RAISE EXCEPTION 'kaboom refused' USING ERRCODE = '23514'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER refuse_kaboom BEFORE INSERT ON tags FOR EACH ROW EXECUTE FUNCTION refuse_kaboom();
  `);
  t.teardown(() => app.db.knex.raw('DROP TRIGGER IF EXISTS refuse_kaboom ON tags'));
  const url = 'https://m.invalid/rollback-edit';
  await me.client.post('/bookmarks/new', { url, title: 'kept' });
  const id = await idOf(url);
  const before = await scrape(app.baseUrl);
  const diff = await moves(async () => {
    const create = await me.client.post('/bookmarks/new', {
      url: 'https://m.invalid/rollback',
      tags: 'fine kaboom',
    });
    t.is(create.status, 500);
    const edit = await me.client.post(`/bookmarks/${id}/edit`, {
      url,
      title: 'changed',
      tags: 'kaboom',
    });
    t.is(edit.status, 500);
    const viaApi = await api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, {
      url: 'https://m.invalid/rollback-api',
      tags: ['kaboom'],
    });
    t.is(viaApi.status, 500);
  });
  t.deepEqual(diff, {});
  t.is((await app.db.knex('bookmarks').where({ id }).first()).title, 'kept');
  t.is((await app.db.knex('bookmarks').where({ url: 'https://m.invalid/rollback' })).length, 0);
  // The row counters agree: no bookmark insert was counted either.
  const after = await scrape(app.baseUrl);
  t.is(
    metricValue(after, 'model_inserts_total', { model: 'bookmark' }) -
      metricValue(before, 'model_inserts_total', { model: 'bookmark' }),
    0,
  );
});

test.serial('user_id labels are the owner’s id', async (t) => {
  const diff = await moves(() =>
    stranger.client.post('/bookmarks/new', { url: 'https://m.invalid/stranger' }),
  );
  t.deepEqual(diff, { [created(stranger.id, 'web')]: 1 });
});
