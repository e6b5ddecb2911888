/**
 * Reading lists of bookmarks and tags. Every query starts from the viewer's
 * visibility: public rows, plus the viewer's own private ones unless the list
 * is public-only (the everyone page, Atom feeds).
 */
import type { Knex } from 'knex';
import { validationFailed } from '../errors';
import { Bookmark } from './models';
import type { Viewer } from './policies';
import { type BookmarkRecord, type BookmarkRow, selectBookmarkRows, toRecords } from './records';
import type { SortKey } from './schemas';

export interface BookmarkFilters {
  readonly viewer?: Viewer;
  /** Only public bookmarks, even the viewer's own private ones are left out. */
  readonly publicOnly?: boolean;
  readonly ownerId?: number;
  /** All must match. */
  readonly tags?: readonly string[];
  readonly q?: string;
  readonly since?: Date;
  readonly sort?: SortKey;
  readonly limit?: number;
  readonly page?: number;
}

export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly page: number;
  readonly limit: number;
  readonly pages: number;
}

/** LIKE patterns match the text literally: % and _ in a search are not wildcards. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

function visible(query: Knex.QueryBuilder, filters: BookmarkFilters): void {
  const viewerId = filters.publicOnly ? undefined : filters.viewer?.id;
  if (viewerId === undefined) {
    query.where('b.private', false);
  } else {
    query.where((w) => w.where('b.private', false).orWhere('b.owner_id', viewerId));
  }
}

/** More tags than anyone filters by on purpose; the cap keeps the query cheap to plan. */
export const MAX_TAG_FILTERS = 10;

function hasTagLike(knex: Knex, pattern: string): Knex.QueryBuilder {
  return knex
    .select(knex.raw('1'))
    .from('bookmark_tags as bt')
    .join('tags as t', 't.id', 'bt.tag_id')
    .whereRaw('bt.bookmark_id = b.id')
    .where('t.name', 'ilike', pattern);
}

/**
 * Bookmarks carrying every one of `tags`, as one subquery whatever their
 * number: the tags travel as one array parameter, so the SQL text, its plan
 * and its cost do not grow with the count (a subquery per tag made planning
 * take seconds and gigabytes at a hundred tags).
 */
function withAllTags(knex: Knex, query: Knex.QueryBuilder, tags: readonly string[]): void {
  const names = [...new Set(tags.map((tag) => tag.toLowerCase()))];
  if (names.length === 0) return;
  if (names.length > MAX_TAG_FILTERS) {
    throw validationFailed(
      `Filter by at most ${MAX_TAG_FILTERS} tags at once (${names.length} were given).`,
    );
  }
  query.whereIn(
    'b.id',
    knex('bookmark_tags as bt')
      .join('tags as t', 't.id', 'bt.tag_id')
      .whereRaw('t.name = any(?::text[])', [names])
      .groupBy('bt.bookmark_id')
      .havingRaw('count(distinct t.name) = ?', [names.length])
      .select('bt.bookmark_id'),
  );
}

/** Adds the filters to a query over `bookmarks as b`. */
function filtered(
  knex: Knex,
  query: Knex.QueryBuilder,
  filters: BookmarkFilters,
): Knex.QueryBuilder {
  visible(query, filters);
  if (filters.ownerId !== undefined) query.where('b.owner_id', filters.ownerId);
  withAllTags(knex, query, filters.tags ?? []);
  if (filters.since) query.where('b.created_at', '>=', filters.since);
  if (filters.q) {
    const pattern = containsPattern(filters.q);
    query.where((w) =>
      w
        .where('b.title', 'ilike', pattern)
        .orWhere('b.url', 'ilike', pattern)
        .orWhere('b.description', 'ilike', pattern)
        .orWhereExists(hasTagLike(knex, pattern)),
    );
  }
  return query;
}

function order(query: Knex.QueryBuilder, sort: SortKey, q: string | undefined): void {
  // A search lists title matches first, then the rest, each in the chosen order.
  if (q) query.orderByRaw('(b.title ilike ?) desc', [containsPattern(q)]);
  switch (sort) {
    case 'date_asc':
      query.orderBy('b.created_at', 'asc').orderBy('b.id', 'asc');
      return;
    case 'title':
    case 'title_asc':
      query.orderByRaw('lower(b.title) asc, b.id desc');
      return;
    case 'title_desc':
      query.orderByRaw('lower(b.title) desc, b.id desc');
      return;
    case 'feed':
      query.orderByRaw('f.newest_item_date desc nulls last, b.created_at desc, b.id desc');
      return;
    default:
      query.orderBy('b.created_at', 'desc').orderBy('b.id', 'desc');
  }
}

export async function listBookmarks(
  filters: BookmarkFilters,
  knex: Knex = Bookmark.knex(),
): Promise<Page<BookmarkRecord>> {
  const limit = filters.limit ?? 10;
  const page = filters.page ?? 1;
  const sort = filters.sort ?? 'date';
  const counted = (await filtered(knex, knex('bookmarks as b'), filters)
    .count({ n: '*' })
    .first()) as { n: number };
  const total = Number(counted?.n ?? 0);

  const query = filtered(knex, selectBookmarkRows(knex), filters);
  if (sort === 'feed') query.leftJoin('feeds as f', 'f.url', 'b.feed_url');
  order(query, sort, filters.q);
  const rows: BookmarkRow[] = await query.limit(limit).offset((page - 1) * limit);
  return {
    items: await toRecords(knex, rows),
    total,
    page,
    limit,
    pages: Math.max(1, Math.ceil(total / limit)),
  };
}

export interface TagCount {
  readonly name: string;
  readonly count: number;
}

/** Tag names with the number of bookmarks the viewer can see under each. */
export async function listTags(
  filters: {
    readonly viewer?: Viewer;
    readonly ownerId?: number;
    readonly sort?: 'name' | 'count';
    readonly limit?: number;
    readonly page?: number;
  },
  knex: Knex = Bookmark.knex(),
): Promise<Page<TagCount>> {
  const limit = filters.limit ?? 100;
  const page = filters.page ?? 1;
  const base = () => {
    const query = knex('tags as t')
      .join('bookmark_tags as bt', 'bt.tag_id', 't.id')
      .join('bookmarks as b', 'b.id', 'bt.bookmark_id');
    visible(query, { viewer: filters.viewer });
    if (filters.ownerId !== undefined) query.where('b.owner_id', filters.ownerId);
    return query;
  };
  const counted = (await base().countDistinct({ n: 't.name' }).first()) as { n: number };
  const total = Number(counted?.n ?? 0);
  const query = base()
    .groupBy('t.name')
    .select('t.name')
    .select(knex.raw('count(distinct b.id)::int as count'));
  if (filters.sort === 'count') query.orderByRaw('count(distinct b.id) desc, t.name asc');
  else query.orderBy('t.name', 'asc');
  const items = (await query.limit(limit).offset((page - 1) * limit)) as TagCount[];
  return { items, total, page, limit, pages: Math.max(1, Math.ceil(total / limit)) };
}
