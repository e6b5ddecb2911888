/**
 * Tags belong to their owner. Setting a bookmark's tags upserts the owner's
 * tag rows in one statement and rewrites the links in two, whatever the count.
 */
import type { Knex } from 'knex';

/** Makes the bookmark's tags exactly `names`; answers whether anything changed. */
export async function setBookmarkTags(
  trx: Knex.Transaction,
  input: { bookmarkId: number; ownerId: number; names: readonly string[] },
): Promise<boolean> {
  const before: Array<{ name: string }> = await trx('bookmark_tags as bt')
    .join('tags as t', 't.id', 'bt.tag_id')
    .where('bt.bookmark_id', input.bookmarkId)
    .select('t.name');
  const wanted = [...new Set(input.names)].sort();
  const had = before.map((r) => r.name).sort();
  if (had.length === wanted.length && had.every((name, i) => name === wanted[i])) return false;

  const tagIds = await upsertTags(trx, input.ownerId, wanted);
  const removal = trx('bookmark_tags').where('bookmark_id', input.bookmarkId);
  if (tagIds.length > 0) removal.whereNotIn('tag_id', tagIds);
  await removal.delete();
  if (tagIds.length > 0) {
    await trx('bookmark_tags')
      .insert(tagIds.map((tagId) => ({ bookmark_id: input.bookmarkId, tag_id: tagId })))
      .onConflict(['bookmark_id', 'tag_id'])
      .ignore();
  }
  return true;
}

/** The ids of the owner's tags named `names`, creating the missing ones. */
export async function upsertTags(
  trx: Knex.Transaction,
  ownerId: number,
  names: readonly string[],
): Promise<number[]> {
  if (names.length === 0) return [];
  // Sorted, so two saves by one owner lock new tag rows in the same order.
  const sorted = [...new Set(names)].sort();
  await trx('tags')
    .insert(sorted.map((name) => ({ owner_id: ownerId, name })))
    .onConflict(['owner_id', 'name'])
    .ignore();
  const rows: Array<{ id: number }> = await trx('tags')
    .where('owner_id', ownerId)
    .whereIn('name', sorted)
    .select('id');
  return rows.map((r) => r.id);
}
