/**
 * The owner's bookmarks for an export, read in keyset pages (newest first) so
 * a large account is never held in memory: one page and its tags at a time.
 */
import type { Knex } from 'knex';

export interface ExportFilters {
  readonly ownerId: number;
  readonly tag?: string;
  readonly since?: Date;
  readonly limit?: number;
}

export interface ExportBookmark {
  readonly id: number;
  readonly url: string;
  readonly title: string;
  readonly description: string;
  readonly private: boolean;
  readonly feed_url: string | null;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly tags: string[];
}

const PAGE_SIZE = 500;

export async function* exportPages(
  knex: Knex,
  filters: ExportFilters,
): AsyncGenerator<ExportBookmark[]> {
  let after: { ts: string; id: number } | undefined;
  let left = filters.limit ?? Number.POSITIVE_INFINITY;
  while (left > 0) {
    const query = knex('bookmarks as b')
      .where('b.owner_id', filters.ownerId)
      .select(
        'b.id',
        'b.url',
        'b.title',
        'b.description',
        'b.private',
        'b.feed_url',
        'b.created_at',
        'b.updated_at',
        // The exact timestamp (microseconds) for the keyset; a JS Date keeps only milliseconds.
        knex.raw('b.created_at::text AS cursor_ts'),
      )
      .orderBy([
        { column: 'b.created_at', order: 'desc' },
        { column: 'b.id', order: 'desc' },
      ])
      .limit(Math.min(PAGE_SIZE, left));
    filter(knex, query, filters);
    if (after) {
      query.whereRaw('(b.created_at, b.id) < (?::timestamptz, ?)', [after.ts, after.id]);
    }
    const rows: Array<Omit<ExportBookmark, 'tags'> & { cursor_ts: string }> = await query;
    if (rows.length === 0) return;
    const tags = await tagsOf(
      knex,
      rows.map((row) => row.id),
    );
    yield rows.map(({ cursor_ts: _, ...row }) => ({ ...row, tags: tags.get(row.id) ?? [] }));
    const last = rows.at(-1)!;
    after = { ts: last.cursor_ts, id: last.id };
    left -= rows.length;
    if (rows.length < PAGE_SIZE) return;
  }
}

/** The same filters as the bookmark lists: created since, has the tag. */
function filter(knex: Knex, query: Knex.QueryBuilder, filters: ExportFilters): void {
  if (filters.since) query.where('b.created_at', '>=', filters.since);
  if (filters.tag) {
    query.whereExists(
      knex
        .select(knex.raw('1'))
        .from('bookmark_tags as bt')
        .join('tags as t', 't.id', 'bt.tag_id')
        .whereRaw('bt.bookmark_id = b.id')
        .where('t.name', filters.tag),
    );
  }
}

async function tagsOf(knex: Knex, ids: number[]): Promise<Map<number, string[]>> {
  const rows: Array<{ bookmark_id: number; name: string }> = await knex('bookmark_tags as bt')
    .join('tags as t', 't.id', 'bt.tag_id')
    .whereIn('bt.bookmark_id', ids)
    .orderBy('t.name')
    .select('bt.bookmark_id', 't.name');
  const byId = new Map<number, string[]>();
  for (const row of rows) {
    const list = byId.get(row.bookmark_id);
    if (list) list.push(row.name);
    else byId.set(row.bookmark_id, [row.name]);
  }
  return byId;
}

export async function countExport(knex: Knex, filters: ExportFilters): Promise<number> {
  const query = knex('bookmarks as b').where('b.owner_id', filters.ownerId);
  filter(knex, query, filters);
  const row = await query.count<{ count: number }>({ count: '*' }).first();
  const count = Number(row?.count ?? 0);
  return filters.limit === undefined ? count : Math.min(count, filters.limit);
}
