/**
 * A bookmark as the rest of the app sees it: plain data with its owner's name
 * and its tag names, read with two queries however many rows there are.
 */
import type { Knex } from 'knex';
import type { UnfurlMetadata } from './models';

export interface BookmarkRecord {
  readonly id: number;
  readonly ownerId: number;
  readonly ownerUsername: string;
  readonly url: string;
  readonly title: string;
  readonly description: string;
  readonly private: boolean;
  readonly tags: readonly string[];
  readonly feedUrl: string | null;
  readonly unfurl: UnfurlMetadata | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface BookmarkRow {
  id: number;
  owner_id: number;
  owner_username: string;
  url: string;
  title: string;
  description: string;
  private: boolean;
  feed_url: string | null;
  unfurl_metadata: UnfurlMetadata | null;
  created_at: Date;
  updated_at: Date;
}

/** bookmarks as `b` joined to their owner, selecting what a record needs. */
export function selectBookmarkRows(knex: Knex | Knex.Transaction): Knex.QueryBuilder {
  return knex('bookmarks as b')
    .join('users as u', 'u.id', 'b.owner_id')
    .select(
      'b.id',
      'b.owner_id',
      'u.username as owner_username',
      'b.url',
      'b.title',
      'b.description',
      'b.private',
      'b.feed_url',
      'b.unfurl_metadata',
      'b.created_at',
      'b.updated_at',
    );
}

export async function tagNamesFor(
  knex: Knex | Knex.Transaction,
  bookmarkIds: readonly number[],
): Promise<Map<number, string[]>> {
  const byBookmark = new Map<number, string[]>();
  if (bookmarkIds.length === 0) return byBookmark;
  const rows: Array<{ bookmark_id: number; name: string }> = await knex('bookmark_tags as bt')
    .join('tags as t', 't.id', 'bt.tag_id')
    .whereIn('bt.bookmark_id', bookmarkIds)
    .orderBy('t.name')
    .select('bt.bookmark_id', 't.name');
  for (const row of rows) {
    const list = byBookmark.get(row.bookmark_id) ?? [];
    list.push(row.name);
    byBookmark.set(row.bookmark_id, list);
  }
  return byBookmark;
}

export async function toRecords(
  knex: Knex | Knex.Transaction,
  rows: readonly BookmarkRow[],
): Promise<BookmarkRecord[]> {
  const tags = await tagNamesFor(
    knex,
    rows.map((r) => r.id),
  );
  return rows.map((row) => ({
    id: row.id,
    ownerId: row.owner_id,
    ownerUsername: row.owner_username,
    url: row.url,
    title: row.title,
    description: row.description,
    private: row.private,
    tags: tags.get(row.id) ?? [],
    feedUrl: row.feed_url,
    unfurl: row.unfurl_metadata,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  }));
}

export async function loadRecord(
  knex: Knex | Knex.Transaction,
  id: number,
): Promise<BookmarkRecord | undefined> {
  const rows: BookmarkRow[] = await selectBookmarkRows(knex).where('b.id', id);
  const [record] = await toRecords(knex, rows);
  return record;
}
