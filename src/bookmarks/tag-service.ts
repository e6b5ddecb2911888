/**
 * An owner's own tags: the names to suggest while typing, the list with
 * counts, and renaming (merging into a tag of that name if there is one) and
 * deleting. A tag's bookmarks stay; their tag set changes, so their
 * updated_at moves and they count as `tags` updates.
 */
import type { Knex } from 'knex';
import { notFound } from '../errors';
import { labelBookmarkWrites } from '../metrics/write-context';
import type { Page } from './list';
import { Bookmark, Tag } from './models';

export interface OwnTag {
  readonly name: string;
  readonly count: number;
}

/** The owner's tag names, most used first: what the tag inputs suggest. */
export async function suggestTags(ownerId: number, limit = 500): Promise<string[]> {
  const rows: Array<{ name: string }> = await Bookmark.knex()('tags as t')
    .leftJoin('bookmark_tags as bt', 'bt.tag_id', 't.id')
    .where('t.owner_id', ownerId)
    .groupBy('t.id', 't.name')
    .orderByRaw('count(bt.bookmark_id) desc, t.name asc')
    .limit(limit)
    .select('t.name');
  return rows.map((row) => row.name);
}

/** Every tag the owner has, with how many of their bookmarks carry it (0 included). */
export async function listOwnTags(input: {
  readonly ownerId: number;
  readonly sort: 'name' | 'count';
  readonly page: number;
  readonly limit: number;
}): Promise<Page<OwnTag>> {
  const knex = Bookmark.knex();
  const counted = (await knex('tags').where('owner_id', input.ownerId).count({ n: '*' }).first()) as
    | { n: number | string }
    | undefined;
  const total = Number(counted?.n ?? 0);
  const query = knex('tags as t')
    .leftJoin('bookmark_tags as bt', 'bt.tag_id', 't.id')
    .where('t.owner_id', input.ownerId)
    .groupBy('t.id', 't.name')
    .select('t.name', knex.raw('count(bt.bookmark_id)::int as count'));
  if (input.sort === 'count') query.orderByRaw('count(bt.bookmark_id) desc, t.name asc');
  else query.orderBy('t.name', 'asc');
  const items = (await query.limit(input.limit).offset((input.page - 1) * input.limit)) as OwnTag[];
  const pages = Math.max(1, Math.ceil(total / input.limit));
  return { items, total, page: input.page, limit: input.limit, pages };
}

/** The owner's tag with its bookmark count; 404 if they have none by that name. */
export async function getOwnTag(input: { ownerId: number; name: string }): Promise<OwnTag> {
  const row = (await Bookmark.knex()('tags as t')
    .leftJoin('bookmark_tags as bt', 'bt.tag_id', 't.id')
    .where({ 't.owner_id': input.ownerId, 't.name': input.name })
    .groupBy('t.id', 't.name')
    .first('t.name', Bookmark.knex().raw('count(bt.bookmark_id)::int as count'))) as
    | OwnTag
    | undefined;
  if (!row) throw notFound(`You have no tag “${input.name}”.`);
  return row;
}

async function lockTags(trx: Knex.Transaction, ownerId: number, names: string[]) {
  // In name order, so two renames of the same pair never wait on each other.
  return Tag.query(trx)
    .where('owner_id', ownerId)
    .whereIn('name', names)
    .orderBy('name')
    .forUpdate();
}

async function countTagged(trx: Knex.Transaction, tagId: number): Promise<number> {
  const [row] = await trx('bookmark_tags').where('tag_id', tagId).count({ n: '*' });
  return Number(row?.n ?? 0);
}

/** Marks the bookmarks that carry `tagId` as changed now; answers how many. */
async function touchBookmarksTagged(trx: Knex.Transaction, tagId: number): Promise<number> {
  return Bookmark.query(trx)
    .patch({})
    .whereIn('id', trx('bookmark_tags').where('tag_id', tagId).select('bookmark_id'));
}

export type RenameOutcome =
  | { readonly kind: 'unchanged' }
  | { readonly kind: 'renamed' | 'merged'; readonly count: number }
  | { readonly kind: 'confirm_merge'; readonly count: number; readonly targetCount: number };

/**
 * Renames the owner's tag. If they already have a tag by the new name, the
 * two are merged — but only when `merge` says they agreed to it.
 */
export async function renameTag(input: {
  readonly ownerId: number;
  readonly from: string;
  readonly to: string;
  readonly merge: boolean;
}): Promise<RenameOutcome> {
  const { ownerId, from, to } = input;
  if (from === to) {
    await getOwnTag({ ownerId, name: from });
    return { kind: 'unchanged' };
  }
  return Bookmark.transaction(async (trx): Promise<RenameOutcome> => {
    await labelBookmarkWrites(trx, { operation: 'tags' });
    const locked = await lockTags(trx, ownerId, [from, to]);
    const source = locked.find((tag) => tag.name === from);
    const target = locked.find((tag) => tag.name === to);
    if (!source) throw notFound(`You have no tag “${from}”.`);
    if (target && !input.merge) {
      return {
        kind: 'confirm_merge',
        count: await countTagged(trx, source.id),
        targetCount: await countTagged(trx, target.id),
      };
    }
    const count = await touchBookmarksTagged(trx, source.id);
    if (!target) {
      await Tag.query(trx).patch({ name: to, updated_at: new Date() }).where('id', source.id);
      return { kind: 'renamed', count };
    }
    await trx.raw(
      `INSERT INTO bookmark_tags (bookmark_id, tag_id)
       SELECT bookmark_id, ? FROM bookmark_tags WHERE tag_id = ?
       ON CONFLICT (bookmark_id, tag_id) DO NOTHING`,
      [target.id, source.id],
    );
    await Tag.query(trx).deleteById(source.id); // its links go with it (ON DELETE CASCADE)
    return { kind: 'merged', count };
  });
}

/** Deletes the owner's tag; its bookmarks stay. Answers how many carried it. */
export async function deleteTag(input: { ownerId: number; name: string }): Promise<number> {
  return Bookmark.transaction(async (trx) => {
    await labelBookmarkWrites(trx, { operation: 'tags' });
    const [tag] = await lockTags(trx, input.ownerId, [input.name]);
    if (!tag) throw notFound(`You have no tag “${input.name}”.`);
    const count = await touchBookmarksTagged(trx, tag.id);
    await Tag.query(trx).deleteById(tag.id);
    return count;
  });
}
