import test from 'ava';
import {
  createOrUpdateBookmark,
  deleteBookmark,
  getBookmark,
  listBookmarks,
  listTags,
  parseSince,
  updateBookmark,
} from '../../src/bookmarks';
import { AppError } from '../../src/errors';
import { startTestApp, type TestApp } from '../helpers/app';
import { aUser } from '../helpers/factories';

// Web only: queued unfurl jobs stay queued, so rows change only when a test says so.
let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

async function jobsFor(bookmarkId: number) {
  return app.db
    .knex('graphile_worker.jobs')
    .where({ key: `unfurl:${bookmarkId}` })
    .select('*');
}

test('saving a URL the owner already has (another spelling) updates that bookmark', async (t) => {
  const owner = await aUser();
  const first = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: {
      url: 'https://Example.invalid/a/?utm_source=x&b=2&a=1',
      title: 'First',
      tags: ['one'],
    },
    source: 'web',
  });
  t.true(first.created);
  const again = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://example.invalid/a?a=1&b=2', title: 'Second', tags: ['two', 'one'] },
    source: 'api',
  });
  t.false(again.created);
  t.is(again.bookmark.id, first.bookmark.id);
  t.is(again.bookmark.title, 'Second');
  t.deepEqual(again.bookmark.tags, ['one', 'two']);
  const rows = await app.db.knex('bookmarks').where({ owner_id: owner.id });
  t.is(rows.length, 1);
  // Fields left out of a re-save are kept.
  const kept = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://example.invalid/a?b=2&a=1' },
    source: 'web',
  });
  t.is(kept.bookmark.title, 'Second');
  t.deepEqual(kept.bookmark.tags, ['one', 'two']);
});

test('another owner saving the same URL gets their own bookmark', async (t) => {
  const [a, b] = [await aUser(), await aUser()];
  const url = 'https://shared.invalid/';
  const one = await createOrUpdateBookmark({ ownerId: a.id, fields: { url }, source: 'web' });
  const two = await createOrUpdateBookmark({ ownerId: b.id, fields: { url }, source: 'web' });
  t.not(one.bookmark.id, two.bookmark.id);
});

test('tags are the owner’s: one row per (owner, name), shared by that owner’s bookmarks', async (t) => {
  const [a, b] = [await aUser(), await aUser()];
  await createOrUpdateBookmark({
    ownerId: a.id,
    fields: { url: 'https://t.invalid/1', tags: ['x', 'y'] },
    source: 'web',
  });
  await createOrUpdateBookmark({
    ownerId: a.id,
    fields: { url: 'https://t.invalid/2', tags: ['y', 'z'] },
    source: 'web',
  });
  await createOrUpdateBookmark({
    ownerId: b.id,
    fields: { url: 'https://t.invalid/3', tags: ['y'] },
    source: 'web',
  });
  const tagsOfA = await app.db.knex('tags').where({ owner_id: a.id }).orderBy('name').pluck('name');
  t.deepEqual(tagsOfA, ['x', 'y', 'z']);
  t.deepEqual(await app.db.knex('tags').where({ owner_id: b.id }).pluck('name'), ['y']);
});

test('a new bookmark queues one unfurl job keyed unfurl:<id> in the same transaction', async (t) => {
  const owner = await aUser();
  const { bookmark } = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://jobs.invalid/' },
    source: 'web',
  });
  const jobs = await jobsFor(bookmark.id);
  t.is(jobs.length, 1);
  t.is(jobs[0].task_identifier, 'unfurl_bookmark');
  const payload = await app.db
    .knex('graphile_worker._private_jobs')
    .where({ id: jobs[0].id })
    .first('payload');
  t.deepEqual(payload.payload, { bookmarkId: bookmark.id });
  // A changed URL queues it again (same key: still one job); a title edit does not.
  await updateBookmark({ actor: owner, id: bookmark.id, changes: { title: 'New title' } });
  await updateBookmark({
    actor: owner,
    id: bookmark.id,
    changes: { url: 'https://jobs.invalid/b' },
  });
  t.is((await jobsFor(bookmark.id)).length, 1);
});

test('a failing write rolls back the bookmark, its tags and its job', async (t) => {
  const owner = await aUser();
  await app.db.knex.raw(`
    CREATE OR REPLACE FUNCTION refuse_boom() RETURNS trigger AS $$
    BEGIN
      IF NEW.name = 'boom' THEN RAISE EXCEPTION 'boom refused' USING ERRCODE = '23514'; END IF;
      RETURN NEW;
    END $$ LANGUAGE plpgsql;
    CREATE TRIGGER refuse_boom BEFORE INSERT ON tags FOR EACH ROW EXECUTE FUNCTION refuse_boom();
  `);
  t.teardown(() => app.db.knex.raw('DROP TRIGGER refuse_boom ON tags'));
  await t.throwsAsync(
    createOrUpdateBookmark({
      ownerId: owner.id,
      fields: { url: 'https://rollback.invalid/', tags: ['fine', 'boom'] },
      source: 'web',
    }),
    { message: /boom refused/ },
  );
  t.is((await app.db.knex('bookmarks').where({ owner_id: owner.id })).length, 0);
  t.is((await app.db.knex('tags').where({ owner_id: owner.id })).length, 0);
  const { rows: queued } = await app.db.knex.raw(
    `SELECT j.id FROM graphile_worker._private_jobs j
     WHERE (j.payload->>'bookmarkId')::bigint NOT IN (SELECT id FROM bookmarks)`,
  );
  t.is(queued.length, 0);
});

test('editing to a URL the owner already has is a 409 conflict', async (t) => {
  const owner = await aUser();
  const a = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://c.invalid/a' },
    source: 'web',
  });
  const b = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://c.invalid/b' },
    source: 'web',
  });
  const error = await t.throwsAsync(
    updateBookmark({ actor: owner, id: b.bookmark.id, changes: { url: 'https://C.invalid/a/' } }),
  );
  t.true(error instanceof AppError);
  t.is((error as AppError).status, 409);
  t.is((await getBookmark({ viewer: owner, id: a.bookmark.id })).url, 'https://c.invalid/a');
});

test('policies: 404 for a private row of someone else, 403 for their public one', async (t) => {
  const [owner, other] = [await aUser(), await aUser()];
  const pub = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://p.invalid/public' },
    source: 'web',
  });
  const priv = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://p.invalid/private', private: true },
    source: 'web',
  });
  const status = async (work: Promise<unknown>) => ((await t.throwsAsync(work)) as AppError).status;
  t.is(await status(getBookmark({ viewer: other, id: priv.bookmark.id })), 404);
  t.is(await status(getBookmark({ viewer: undefined, id: priv.bookmark.id })), 404);
  t.is((await getBookmark({ viewer: other, id: pub.bookmark.id })).id, pub.bookmark.id);
  t.is(
    await status(updateBookmark({ actor: other, id: pub.bookmark.id, changes: { title: 'x' } })),
    403,
  );
  t.is(
    await status(updateBookmark({ actor: other, id: priv.bookmark.id, changes: { title: 'x' } })),
    404,
  );
  t.is(await status(deleteBookmark({ actor: other, id: pub.bookmark.id })), 403);
  t.is(await status(deleteBookmark({ actor: other, id: priv.bookmark.id })), 404);
  t.is(await status(deleteBookmark({ actor: owner, id: 987654321 })), 404);
  await deleteBookmark({ actor: owner, id: priv.bookmark.id });
  t.is(await status(getBookmark({ viewer: owner, id: priv.bookmark.id })), 404);
});

test('search covers title, URL, description and tag names, case-insensitively, titles first', async (t) => {
  const owner = await aUser();
  const save = (url: string, fields: Record<string, unknown> = {}) =>
    createOrUpdateBookmark({ ownerId: owner.id, fields: { url, ...fields }, source: 'web' });
  const byTag = await save('https://s.invalid/1', { tags: ['zebra'] });
  const byDescription = await save('https://s.invalid/2', { description: 'A ZEBRA crossing' });
  const byUrl = await save('https://s.invalid/zebra-3');
  const byTitle = await save('https://s.invalid/4', { title: 'Zebras of the plains' });
  await save('https://s.invalid/5', { title: 'Horses' });
  await save('https://s.invalid/6', { title: '100% literal_match' });
  const page = await listBookmarks({ viewer: owner, ownerId: owner.id, q: 'zEbRa' });
  t.is(page.total, 4);
  t.is(page.items[0]!.id, byTitle.bookmark.id);
  t.deepEqual(
    page.items
      .slice(1)
      .map((b) => b.id)
      .sort(),
    [byTag.bookmark.id, byDescription.bookmark.id, byUrl.bookmark.id].sort(),
  );
  // % and _ are searched for literally.
  t.is((await listBookmarks({ viewer: owner, ownerId: owner.id, q: '0% l' })).total, 1);
  t.is((await listBookmarks({ viewer: owner, ownerId: owner.id, q: '_' })).total, 1);
});

test('tag filters: every tag must match', async (t) => {
  const owner = await aUser();
  const save = (url: string, tags: string[]) =>
    createOrUpdateBookmark({ ownerId: owner.id, fields: { url, tags }, source: 'web' });
  const both = await save('https://tags.invalid/1', ['a', 'b']);
  await save('https://tags.invalid/2', ['a']);
  await save('https://tags.invalid/3', ['b', 'c']);
  const page = await listBookmarks({ viewer: owner, ownerId: owner.id, tags: ['a', 'b'] });
  t.deepEqual(
    page.items.map((b) => b.id),
    [both.bookmark.id],
  );
  t.is((await listBookmarks({ viewer: owner, ownerId: owner.id, tags: ['a'] })).total, 2);
  t.is((await listBookmarks({ viewer: owner, ownerId: owner.id, tags: ['nope'] })).total, 0);
});

test('sorting, since and paging with a total count', async (t) => {
  const owner = await aUser();
  const ids: number[] = [];
  for (const [i, title] of ['banana', 'Apple', 'cherry'].entries()) {
    const { bookmark } = await createOrUpdateBookmark({
      ownerId: owner.id,
      fields: { url: `https://sort.invalid/${i}`, title },
      source: 'web',
    });
    ids.push(bookmark.id);
  }
  // Spread the creation times: 10, 5 and 1 days ago.
  for (const [i, days] of [10, 5, 1].entries()) {
    await app.db
      .knex('bookmarks')
      .where({ id: ids[i] })
      .update({ created_at: new Date(Date.now() - days * 86_400_000) });
  }
  const list = async (filters: Record<string, unknown>) =>
    (await listBookmarks({ viewer: owner, ownerId: owner.id, ...filters })).items.map(
      (b) => b.title,
    );
  t.deepEqual(await list({ sort: 'date' }), ['cherry', 'Apple', 'banana']);
  t.deepEqual(await list({ sort: 'date_desc' }), ['cherry', 'Apple', 'banana']);
  t.deepEqual(await list({ sort: 'date_asc' }), ['banana', 'Apple', 'cherry']);
  t.deepEqual(await list({ sort: 'title' }), ['Apple', 'banana', 'cherry']);
  t.deepEqual(await list({ sort: 'title_asc' }), ['Apple', 'banana', 'cherry']);
  t.deepEqual(await list({ sort: 'title_desc' }), ['cherry', 'banana', 'Apple']);
  t.deepEqual(await list({ since: parseSince('7 days') }), ['cherry', 'Apple']);
  t.deepEqual(await list({ since: parseSince('2d') }), ['cherry']);
  const page2 = await listBookmarks({
    viewer: owner,
    ownerId: owner.id,
    sort: 'title',
    limit: 2,
    page: 2,
  });
  t.is(page2.total, 3);
  t.is(page2.pages, 2);
  t.deepEqual(
    page2.items.map((b) => b.title),
    ['cherry'],
  );
});

test('sort=feed orders by the linked feed’s newest item', async (t) => {
  const owner = await aUser();
  const knex = app.db.knex;
  await knex('feeds').insert([
    { url: 'https://f.invalid/old.xml', newest_item_date: new Date('2020-01-01T00:00:00Z') },
    { url: 'https://f.invalid/new.xml', newest_item_date: new Date('2024-01-01T00:00:00Z') },
  ]);
  const save = async (url: string, title: string, feedUrl: string | null) => {
    const { bookmark } = await createOrUpdateBookmark({
      ownerId: owner.id,
      fields: { url, title },
      source: 'web',
    });
    await knex('bookmarks').where({ id: bookmark.id }).update({ feed_url: feedUrl });
  };
  await save('https://f.invalid/a', 'old feed', 'https://f.invalid/old.xml');
  await save('https://f.invalid/b', 'no feed', null);
  await save('https://f.invalid/c', 'new feed', 'https://f.invalid/new.xml');
  const page = await listBookmarks({ viewer: owner, ownerId: owner.id, sort: 'feed' });
  t.deepEqual(
    page.items.map((b) => b.title),
    ['new feed', 'old feed', 'no feed'],
  );
});

test('the tag index counts only what the viewer may see', async (t) => {
  const [owner, other] = [await aUser(), await aUser()];
  await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: 'https://ti.invalid/1', tags: ['tagindex-public', 'tagindex-both'] },
    source: 'web',
  });
  await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: {
      url: 'https://ti.invalid/2',
      tags: ['tagindex-secret', 'tagindex-both'],
      private: true,
    },
    source: 'web',
  });
  const counts = async (viewer?: { id: number }) =>
    Object.fromEntries(
      (await listTags({ viewer, limit: 200 })).items
        .filter((tag) => tag.name.startsWith('tagindex-'))
        .map((tag) => [tag.name, tag.count]),
    );
  t.deepEqual(await counts(owner), {
    'tagindex-both': 2,
    'tagindex-public': 1,
    'tagindex-secret': 1,
  });
  t.deepEqual(await counts(other), { 'tagindex-both': 1, 'tagindex-public': 1 });
  t.deepEqual(await counts(undefined), { 'tagindex-both': 1, 'tagindex-public': 1 });
});

test('since understands ISO dates, date-times and durations', (t) => {
  const now = new Date('2024-05-10T12:00:00Z');
  t.is(parseSince('2024-05-01', now)?.toISOString(), '2024-05-01T00:00:00.000Z');
  t.is(parseSince('2024-05-01T10:30:00Z', now)?.toISOString(), '2024-05-01T10:30:00.000Z');
  t.is(parseSince('2 days', now)?.toISOString(), '2024-05-08T12:00:00.000Z');
  t.is(parseSince('3h', now)?.toISOString(), '2024-05-10T09:00:00.000Z');
  t.is(parseSince('1 week ago', now)?.toISOString(), '2024-05-03T12:00:00.000Z');
  t.is(parseSince('90 minutes', now)?.toISOString(), '2024-05-10T10:30:00.000Z');
  for (const bad of ['yesterday-ish', '2 fortnights', '2024-13-45', '', 'days']) {
    t.is(parseSince(bad, now), undefined, bad);
  }
});
