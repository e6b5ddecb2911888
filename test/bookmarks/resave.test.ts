/**
 * Re-saving a known URL from the Add form (resave.ts) and telling which
 * fields a form changed (form-changes.ts): pure rules, no database.
 */
import test from 'ava';
import { changedFields } from '../../src/bookmarks/form-changes';
import { planResave, proposedValues, resaveMessage } from '../../src/bookmarks/resave';
import { bookmarkForm } from '../../src/bookmarks/schemas';

const had = { title: 'Kept title', description: 'Kept notes', tags: ['a', 'b'], private: true };

test('blank fields never blank what the bookmark had; blanks are filled, tags added', (t) => {
  t.deepEqual(planResave(had, { title: '', description: '  ', tags: [] }), {
    apply: {},
    filled: [],
    addedTags: [],
    conflicts: [],
  });
  const empty = { title: '', description: '', tags: ['a'], private: false };
  t.deepEqual(planResave(empty, { title: 'New', description: 'Text', tags: ['a', 'c'] }), {
    apply: { title: 'New', description: 'Text', tags: ['a', 'c'] },
    filled: ['title', 'description'],
    addedTags: ['c'],
    conflicts: [],
  });
});

test('a different title, description or privacy goes to review, with nothing applied', (t) => {
  const plan = planResave(had, { title: 'Other', description: 'Kept notes', private: false });
  t.deepEqual(plan.conflicts, ['title', 'private']);
  t.deepEqual(proposedValues(had, { title: 'Other', tags: ['c'], private: false }), {
    title: 'Other',
    description: 'Kept notes',
    tags: ['a', 'b', 'c'],
    private: false,
  });
  // Line endings a browser changes are not a difference.
  const lines = { ...had, description: 'one\ntwo' };
  t.deepEqual(planResave(lines, { description: 'one\r\ntwo' }).conflicts, []);
});

test('tags that would take a bookmark past MAX_TAGS go to review, not a silent cut', (t) => {
  const full = { ...had, tags: Array.from({ length: 99 }, (_, i) => `t${i}`) };
  const plan = planResave(full, { tags: ['t1', 'new1', 'new2'] });
  t.deepEqual(plan.conflicts, ['tags']);
  t.is(plan.apply.tags, undefined);
  t.deepEqual(planResave(full, { tags: ['t1', 'new1'] }).apply.tags?.length, 100);
});

test('the message says what happened and nothing more', (t) => {
  const on = new Date('2026-05-01T12:00:00Z');
  t.is(
    resaveMessage({ filled: [], addedTags: [] }, on),
    'You already had this page (saved on 2026-05-01). Nothing was changed.',
  );
  t.is(
    resaveMessage({ filled: ['title'], addedTags: ['x', 'y'] }, on),
    'You already had this page (saved on 2026-05-01): added the tags “x”, “y” and filled in the empty title. Nothing you had was replaced.',
  );
});

test('a form field still equal to the value it was drawn with is not a change', (t) => {
  const form = bookmarkForm.parse({
    url: 'https://x.invalid/a',
    title: 'T',
    description: 'line\r\nbreak',
    tags: 'b a',
    private: 'on',
    base_url: 'https://x.invalid/a',
    base_title: 'T',
    base_description: 'line\nbreak',
    base_tags: 'a b',
    base_private: '',
  });
  t.deepEqual(changedFields(form), { private: true });
  // Without a base (a script, an old page) every field counts.
  const bare = bookmarkForm.parse({ url: 'https://x.invalid/a' });
  t.deepEqual(Object.keys(changedFields(bare)).sort(), [
    'description',
    'private',
    'tags',
    'title',
    'url',
  ]);
});
