/**
 * The owner's tools over real HTTP: the edit form changes only what the
 * person changed, bulk changes touch only the owner's own bookmarks, tag
 * rename/merge/delete only the owner's own tags, and #tag searches.
 */
import test from 'ava';
import { listBookmarks } from '../../src/bookmarks';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClient } from '../helpers/client';
import { bookmarkOf, person } from './support';

// Web only: unfurl jobs stay queued, so rows change only when a test says so.
let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

const row = (id: number) => app.db.knex('bookmarks').where({ id }).first();
async function tagsOf(id: number): Promise<string[]> {
  return app.db
    .knex('bookmark_tags as bt')
    .join('tags as t', 't.id', 'bt.tag_id')
    .where('bt.bookmark_id', id)
    .orderBy('t.name')
    .pluck('t.name');
}

test('the edit form saves only what was changed on it, not what changed meanwhile', async (t) => {
  const me = await person(app);
  const id = await bookmarkOf(me, { url: 'https://edit.invalid/race', tags: ['a'] });
  const form = await me.client.get(`/bookmarks/${id}/edit`);
  t.regex(form.text, /name="base_title" value=""/);
  // The unfurl fills in the title while the form is open.
  await app.db.knex('bookmarks').where({ id }).update({ title: 'From the page' });
  const saved = await me.client.post(`/bookmarks/${id}/edit`, {
    url: 'https://edit.invalid/race',
    title: '',
    description: 'My notes',
    tags: 'a',
    base_url: 'https://edit.invalid/race',
    base_title: '',
    base_description: '',
    base_tags: 'a',
    base_private: '',
  });
  t.is(saved.status, 302);
  t.like(await row(id), { title: 'From the page', description: 'My notes' });
  // Nothing changed at all: nothing written, and the message says so.
  const before = (await row(id)).updated_at;
  const same = {
    url: 'https://edit.invalid/race',
    title: 'From the page',
    description: 'My notes',
    tags: 'a',
  };
  await me.client.post(`/bookmarks/${id}/edit`, {
    ...same,
    ...Object.fromEntries(Object.entries(same).map(([k, v]) => [`base_${k}`, v])),
    base_private: '',
  });
  t.deepEqual((await row(id)).updated_at, before);
  t.regex((await me.client.get(`/u/${me.username}`)).text, /Nothing was changed\./);
});

test('bulk changes touch only the owner’s bookmarks and say what was left out', async (t) => {
  const me = await person(app);
  const them = await person(app);
  const mine = await bookmarkOf(me, { url: 'https://bulk.invalid/mine' });
  const theirs = await bookmarkOf(them, { url: 'https://bulk.invalid/theirs', tags: ['keep'] });
  const tagged = await me.client.post('/bookmarks/bulk', {
    ids: [String(mine), String(theirs)],
    action: 'tag',
    tags: 'mass',
  });
  t.is(tagged.status, 302);
  t.is(tagged.location, `/u/${me.username}`);
  t.deepEqual(await tagsOf(mine), ['mass']);
  t.deepEqual(await tagsOf(theirs), ['keep']);
  t.regex(
    (await me.client.get(`/u/${me.username}`)).text,
    /Added “mass” to 1 bookmark\. 1 selected bookmark no longer existed and was left out\./,
  );
  for (const action of ['private', 'untag', 'delete']) {
    await me.client.post('/bookmarks/bulk', {
      ids: String(theirs),
      action,
      tags: 'keep',
      confirm: 'on',
    });
  }
  t.like(await row(theirs), { private: false });
  t.deepEqual(await tagsOf(theirs), ['keep']);

  // Where to go back to is a path on this site only.
  const away = await me.client.post('/bookmarks/bulk', {
    ids: String(mine),
    action: 'public',
    back: '//evil.invalid/',
  });
  t.is(away.location, `/u/${me.username}`);
  const back = await me.client.post('/bookmarks/bulk', {
    ids: String(mine),
    action: 'public',
    back: `/u/${me.username}?q=x&page=2`,
  });
  t.is(back.location, `/u/${me.username}?q=x&page=2`);
  // Nothing ticked: nothing done, and the list says why.
  const none = await me.client.post('/bookmarks/bulk', { action: 'private' });
  t.is(none.status, 302);
  t.regex((await me.client.get(none.location!)).text, /tick the bookmarks to change first/);
  // A broken form is refused outright.
  for (const form of [
    { ids: 'abc', action: 'private' },
    { ids: String(mine), action: 'explode' },
    { ids: Array.from({ length: 201 }, (_, i) => String(i + 1)), action: 'private' },
  ]) {
    t.is(
      (await me.client.post('/bookmarks/bulk', form)).status,
      422,
      JSON.stringify(form).slice(0, 80),
    );
  }
  t.is((await new TestClient(app.baseUrl).post('/bookmarks/bulk', { ids: '1' })).status, 401);
});

test('no way to give a bookmark more than MAX_TAGS tags: bulk leaves it as it was, the Add form asks', async (t) => {
  const me = await person(app);
  const many = Array.from({ length: 99 }, (_, i) => `t${i}`);
  const full = await bookmarkOf(me, { url: 'https://tags.invalid/full', tags: many });
  const roomy = await bookmarkOf(me, { url: 'https://tags.invalid/roomy', tags: ['one'] });
  const tagged = await me.client.post('/bookmarks/bulk', {
    ids: [String(full), String(roomy)],
    action: 'tag',
    tags: 'x y',
  });
  t.is(tagged.status, 302);
  t.is((await tagsOf(full)).length, 99, 'left as it was');
  t.deepEqual(await tagsOf(roomy), ['one', 'x', 'y']);
  t.regex(
    (await me.client.get(tagged.location!)).text,
    /Added “x”, “y” to 1 bookmark\. 1 bookmark would have had more than 100 tags and was left as it was\./,
  );
  // A tag it already has fits: 99 stay 99.
  await me.client.post('/bookmarks/bulk', { ids: String(full), action: 'tag', tags: 't0' });
  t.is((await tagsOf(full)).length, 99);

  // Saving the same page again from the Add form with two more tags: a review
  // that says why, on the tags field, and nothing saved.
  const again = await me.client.post('/bookmarks/new', {
    url: 'https://tags.invalid/full',
    tags: 'new1 new2',
  });
  t.is(again.status, 409);
  t.regex(
    again.text,
    /<p id="tags-error" class="field-error">A bookmark has at most 100 tags: this one has 99/,
  );
  t.regex(again.text, /<p id="tags-was" class="was">You had: t0 /);
  t.regex(again.text, /<input id="tags"[^>]*aria-invalid="true"[^>]*autofocus/);
  t.is((await tagsOf(full)).length, 99);
});

test('tags: only your own can be renamed, merged or deleted; a merge needs its own confirmation', async (t) => {
  const me = await person(app);
  const them = await person(app);
  const a = await bookmarkOf(me, { url: 'https://tag.invalid/a', tags: ['draft', 'todo'] });
  const b = await bookmarkOf(me, { url: 'https://tag.invalid/b', tags: ['done'] });
  const theirs = await bookmarkOf(them, { url: 'https://tag.invalid/c', tags: ['secret'] });

  for (const path of ['/tags/secret/edit', '/tags/secret/delete', '/tags/nope/edit']) {
    t.is((await me.client.get(path)).status, 404, path);
  }
  t.is((await me.client.post('/tags/secret/delete')).status, 404);
  t.is((await me.client.post('/tags/secret/edit', { name: 'mine' })).status, 404);
  t.deepEqual(await tagsOf(theirs), ['secret']);

  // Renaming onto a tag you have asks first; agreeing to merge into "done" does not merge into "todo".
  const asked = await me.client.post('/tags/draft/edit', { name: 'done' });
  t.is(asked.status, 409);
  t.regex(asked.text, /name="merge" value="done"/);
  const elsewhere = await me.client.post('/tags/draft/edit', { name: 'todo', merge: 'done' });
  t.is(elsewhere.status, 409);
  t.deepEqual(await tagsOf(a), ['draft', 'todo']);
  const merged = await me.client.post('/tags/draft/edit', { name: 'DONE', merge: 'done' });
  t.is(merged.status, 302);
  t.deepEqual(await tagsOf(a), ['done', 'todo']);
  t.deepEqual(await tagsOf(b), ['done']);
  t.is((await app.db.knex('tags').where({ owner_id: me.id, name: 'draft' })).length, 0);

  const invalid = await me.client.post('/tags/todo/edit', { name: 'x'.repeat(65) });
  t.is(invalid.status, 422);
  t.regex(
    invalid.text,
    /<p id="name-error" class="field-error">Tags are at most 64 characters\.<\/p>/,
  );
  t.regex(invalid.text, /aria-invalid="true" aria-describedby="name-error" autofocus/);

  t.is((await me.client.post('/tags/done/delete')).status, 302);
  t.deepEqual(await tagsOf(a), ['todo']);
  t.deepEqual(await tagsOf(b), []);
  t.truthy(await row(b), 'the bookmark stays');
  t.is((await new TestClient(app.baseUrl).get('/tags')).status, 302);
});

test('#tag words in a search are tag filters: all must match, the rest is searched', async (t) => {
  const me = await person(app);
  await bookmarkOf(me, {
    url: 'https://hash.invalid/1',
    title: 'Crab recipe',
    tags: ['food', 'sea'],
  });
  await bookmarkOf(me, { url: 'https://hash.invalid/2', title: 'Crab facts', tags: ['sea'] });
  await bookmarkOf(me, { url: 'https://hash.invalid/3', title: 'Bread recipe', tags: ['food'] });
  const titles = async (q: string, tags: string[] = []) =>
    (await listBookmarks({ viewer: me, ownerId: me.id, q, tags })).items.map((b) => b.title).sort();
  const search = async (q: string) =>
    (await me.client.get(`/u/${me.username}?q=${encodeURIComponent(q)}`)).text;
  t.regex(await search('#sea crab'), /2 bookmarks matching “#sea crab”/);
  t.regex(await search('#sea #FOOD'), /1 bookmark matching/);
  t.regex(await search('recipe #food'), /2 bookmarks matching/);
  t.regex(await search('C# #sea'), /No bookmarks match these filters/);
  const tooMany = await me.client.get(
    `/u/${me.username}?q=${encodeURIComponent(Array.from({ length: 11 }, (_, i) => `#t${i}`).join(' '))}`,
  );
  t.is(tooMany.status, 422);
  t.regex(tooMany.text, /at most 10 #tags/);
  // The tag filter itself is unchanged: the same list through filters.
  t.deepEqual(await titles('crab', ['sea']), ['Crab facts', 'Crab recipe']);
});
