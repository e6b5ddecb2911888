/**
 * One change to many of an owner's bookmarks at once (the list's checkboxes):
 * add or remove tags, make private or public, delete. One transaction; ids
 * that are not the owner's (or no longer exist) are left out and counted.
 */
import type { Knex } from 'knex';
import { labelBookmarkWrites } from '../metrics/write-context';
import { Bookmark } from './models';
import { type BookmarkRecord, type BookmarkRow, selectBookmarkRows, toRecords } from './records';
import type { BulkAction } from './schemas';
import { upsertTags } from './tag-store';
import { MAX_TAGS } from './tags';

export interface BulkOutcome {
  /** The owner's bookmarks among those chosen. */
  readonly selected: number;
  /** How many of them the action changed (already tagged, already private… do not count). */
  readonly changed: number;
  /** Chosen ids that are not the owner's bookmarks (deleted meanwhile, or someone else's). */
  readonly missing: number;
  /** Bookmarks left as they were: the tags would have taken them past MAX_TAGS. */
  readonly full: number;
}

/** Marks rows as changed now (updated_at); the tag links themselves are not rows of a model. */
async function touch(trx: Knex.Transaction, ids: readonly number[]): Promise<void> {
  if (ids.length > 0) await Bookmark.query(trx).patch({}).whereIn('id', ids);
}

/** Adds the tags to the bookmarks they fit (MAX_TAGS); answers those changed and those full. */
async function addTags(trx: Knex.Transaction, ownerId: number, ids: number[], tags: string[]) {
  const tagIds = await upsertTags(trx, ownerId, tags);
  // The tags it has that are not among these, plus these: what it would have.
  const fitting: number[] = (
    await trx('bookmarks as b')
      .whereIn('b.id', ids)
      .whereRaw(
        '(SELECT count(*) FROM bookmark_tags bt WHERE bt.bookmark_id = b.id AND bt.tag_id <> ALL(?::bigint[])) + ? <= ?',
        [tagIds, tagIds.length, MAX_TAGS],
      )
      .pluck('b.id')
  ).map(Number);
  if (fitting.length === 0) return { changed: [], full: ids.length };
  const links = fitting.flatMap((bookmarkId) =>
    tagIds.map((tagId) => ({ bookmark_id: bookmarkId, tag_id: tagId })),
  );
  const added: Array<{ bookmark_id: number }> = await trx('bookmark_tags')
    .insert(links)
    .onConflict(['bookmark_id', 'tag_id'])
    .ignore()
    .returning('bookmark_id');
  return {
    changed: [...new Set(added.map((row) => Number(row.bookmark_id)))],
    full: ids.length - fitting.length,
  };
}

async function removeTags(trx: Knex.Transaction, ownerId: number, ids: number[], tags: string[]) {
  const removed: Array<{ bookmark_id: number }> = await trx('bookmark_tags')
    .whereIn('bookmark_id', ids)
    .whereIn('tag_id', trx('tags').where('owner_id', ownerId).whereIn('name', tags).select('id'))
    .delete()
    .returning('bookmark_id');
  return { changed: [...new Set(removed.map((row) => Number(row.bookmark_id)))], full: 0 };
}

export async function bulkEditBookmarks(input: {
  readonly ownerId: number;
  readonly ids: readonly number[];
  readonly action: BulkAction;
  readonly tags: readonly string[];
}): Promise<BulkOutcome> {
  const { ownerId, action } = input;
  return Bookmark.transaction(async (trx) => {
    const rows = await Bookmark.query(trx)
      .whereIn('id', input.ids)
      .where('owner_id', ownerId)
      .orderBy('id')
      .forUpdate()
      .select('id');
    const ids = rows.map((row) => row.id);
    const outcome = (changed: number, full = 0) => ({
      selected: ids.length,
      changed,
      missing: input.ids.length - ids.length,
      full,
    });
    if (ids.length === 0) return outcome(0);

    if (action === 'delete') {
      const deleted = await Bookmark.query(trx).delete().whereIn('id', ids);
      return outcome(deleted);
    }
    if (action === 'private' || action === 'public') {
      const makePrivate = action === 'private';
      await labelBookmarkWrites(trx, { operation: 'edit' });
      const changed = await Bookmark.query(trx)
        .patch({ private: makePrivate })
        .whereIn('id', ids)
        .where('private', !makePrivate);
      return outcome(changed);
    }
    await labelBookmarkWrites(trx, { operation: 'tags' });
    const tags = [...input.tags];
    const { changed, full } =
      action === 'tag'
        ? await addTags(trx, ownerId, ids, tags)
        : await removeTags(trx, ownerId, ids, tags);
    await touch(trx, changed);
    return outcome(changed.length, full);
  });
}

/** The owner's bookmarks among `ids`, for showing what a bulk change will touch. */
export async function getOwnBookmarks(input: {
  readonly ownerId: number;
  readonly ids: readonly number[];
}): Promise<BookmarkRecord[]> {
  if (input.ids.length === 0) return [];
  const knex = Bookmark.knex();
  const rows: BookmarkRow[] = await selectBookmarkRows(knex)
    .whereIn('b.id', input.ids)
    .where('b.owner_id', input.ownerId)
    .orderBy('b.created_at', 'desc')
    .orderBy('b.id', 'desc');
  return toRecords(knex, rows);
}
