/**
 * The combined list: the newest items of every feed a user follows, newest
 * first, optionally only the unread ones, narrowed to a feed, a category or
 * the tag of the bookmarks that led to a feed. Paged by a keyset cursor (the
 * last item's sort date and id), so marking items read while paging never
 * shifts a page.
 *
 * Each followed feed contributes at most one page of candidates through a
 * LATERAL subquery that walks that feed's index newest first, and the merge
 * of those is sorted: the cost is feeds × page size, whatever the history.
 */
import type { Knex } from 'knex';
import { IS_READ, SORT_DATE, UNREAD_SETS } from './read-sql';

export interface ItemCursor {
  /** The sort date in microseconds since 1970 (exact: dates carry microseconds). */
  readonly sortMicros: string;
  readonly id: number;
}

export interface ItemScope {
  readonly userId: number;
  readonly feedId?: number | undefined;
  readonly categoryId?: number | undefined;
  readonly tag?: string | undefined;
}

export interface ItemListQuery extends ItemScope {
  readonly unreadOnly: boolean;
  readonly before?: ItemCursor | undefined;
  readonly limit: number;
}

export interface ReaderItem {
  readonly id: number;
  readonly feedId: number;
  readonly feedTitle: string;
  readonly feedUrl: string;
  readonly guid: string;
  readonly title: string | null;
  readonly link: string | null;
  readonly summary: string | null;
  readonly date: Date | null;
  readonly firstSeenAt: Date;
  readonly read: boolean;
  readonly cursor: ItemCursor;
}

export interface ItemPage {
  readonly items: ReaderItem[];
  /** Where the next (older) page starts; null on the last page. */
  readonly next: ItemCursor | null;
  /** The newest item id that existed when the page was read: "mark all" marks up to it. */
  readonly throughItemId: number;
}

interface Sql {
  readonly sql: string;
  readonly bindings: Knex.RawBinding[];
}

/**
 * The user's subscriptions within the scope, as a WHERE over
 * feed_subscriptions `s` joined to feeds `f`. Shared with the marking, so
 * "mark these read" covers exactly what the list shows.
 */
export function scopeWhere(scope: ItemScope): Sql {
  const parts = ['s.user_id = ?'];
  const bindings: Knex.RawBinding[] = [scope.userId];
  if (scope.feedId !== undefined) {
    parts.push('s.feed_id = ?');
    bindings.push(scope.feedId);
  }
  if (scope.categoryId !== undefined) {
    parts.push('s.category_id = ?');
    bindings.push(scope.categoryId);
  }
  if (scope.tag !== undefined) {
    parts.push(`exists (select 1 from bookmarks b
      join bookmark_tags bt on bt.bookmark_id = b.id
      join tags t on t.id = bt.tag_id
      where b.owner_id = s.user_id and b.feed_url = f.url and t.name = ?)`);
    bindings.push(scope.tag);
  }
  return { sql: parts.join(' and '), bindings };
}

const CURSOR_DATE = "(to_timestamp(0) + cast(cast(? as text) || ' microseconds' as interval))";

function cursorCondition(before: ItemCursor | undefined): Sql {
  if (!before) return { sql: '', bindings: [] };
  return {
    sql: ` and (${SORT_DATE}, i.id) < (${CURSOR_DATE}, ?)`,
    bindings: [before.sortMicros, before.id],
  };
}

/** One LATERAL arm: up to `limit` items of `from … where condition`, newest first. */
function arm(from: string, condition: string, query: ItemListQuery): Sql {
  const cursor = cursorCondition(query.before);
  return {
    sql: `(select i.id, ${SORT_DATE} as sort_date from ${from}
      where ${condition}${cursor.sql}
      order by ${SORT_DATE} desc, i.id desc limit ?)`,
    bindings: [...cursor.bindings, query.limit + 1],
  };
}

function candidates(query: ItemListQuery): Sql {
  const arms = query.unreadOnly
    ? [
        arm('feed_items i', UNREAD_SETS.newer, query),
        arm('feed_items i', UNREAD_SETS.arrived, query),
        arm(
          'feed_item_states st join feed_items i on i.id = st.item_id',
          UNREAD_SETS.explicit,
          query,
        ),
      ]
    : [arm('feed_items i', 'i.feed_id = s.feed_id', query)];
  return {
    sql: arms.map((a) => a.sql).join(' union all '),
    bindings: arms.flatMap((a) => a.bindings),
  };
}

interface Row {
  id: number;
  feed_id: number;
  feed_title: string;
  feed_url: string;
  guid: string;
  title: string | null;
  link: string | null;
  summary: string | null;
  date: Date | null;
  first_seen_at: Date;
  read: boolean;
  sort_micros: string;
}

export async function listReaderItems(knex: Knex, query: ItemListQuery): Promise<ItemPage> {
  const scope = scopeWhere(query);
  const arms = candidates(query);
  // Read first: every item the list can show is then at most this, or shown.
  const newest = await newestItemId(knex);
  const { rows } = await knex.raw<{ rows: Row[] }>(
    `with s as (
         select s.user_id, s.feed_id, s.read_before, s.read_through_item_id, f.title, f.url
           from feed_subscriptions s join feeds f on f.id = s.feed_id
          where ${scope.sql}
       ), page as (
         -- The page is chosen from ids and dates alone; the rows are read for it only.
         select c.id, c.sort_date, s.feed_id
           from s cross join lateral (${arms.sql}) c
          order by c.sort_date desc, c.id desc
          limit ?
       )
       select i.id, i.feed_id, s.title as feed_title, s.url as feed_url, i.guid, i.title,
              i.link, i.summary, i.date, i.first_seen_at, ${IS_READ} as read,
              (extract(epoch from page.sort_date) * 1000000)::bigint::text as sort_micros
         from page
         join s on s.feed_id = page.feed_id
         join feed_items i on i.id = page.id
         left join feed_item_states st on st.item_id = i.id and st.user_id = s.user_id
        order by page.sort_date desc, page.id desc`,
    [...scope.bindings, ...arms.bindings, query.limit + 1],
  );
  const items = rows.slice(0, query.limit).map(toItem);
  const last = items.at(-1);
  return {
    items,
    next: rows.length > query.limit && last ? last.cursor : null,
    // An item committed after the first read but listed counts as seen.
    throughItemId: Math.max(newest, ...items.map((item) => item.id)),
  };
}

function toItem(row: Row): ReaderItem {
  const { id } = row;
  return {
    id,
    feedId: row.feed_id,
    feedTitle: row.feed_title,
    feedUrl: row.feed_url,
    guid: row.guid,
    title: row.title,
    link: row.link,
    summary: row.summary,
    date: row.date,
    firstSeenAt: row.first_seen_at,
    read: row.read,
    cursor: { sortMicros: row.sort_micros, id },
  };
}

/** The newest item id there is (0 with none): the bound "mark all read" uses. */
export async function newestItemId(knex: Knex | Knex.Transaction): Promise<number> {
  const row = await knex('feed_items').max('id as id').first();
  return Number(row?.id ?? 0);
}

export interface ReaderItemWithContent extends ReaderItem {
  /** The item's content as sanitised HTML, when the feed gave any. */
  readonly description: string | null;
}

/** One item of a followed feed, with its content; undefined for any other item. */
export async function findReaderItem(
  knex: Knex,
  input: { readonly userId: number; readonly itemId: number },
): Promise<ReaderItemWithContent | undefined> {
  const { rows } = await knex.raw<{ rows: Array<Row & { description: string | null }> }>(
    `select i.id, i.feed_id, f.title as feed_title, f.url as feed_url, i.guid, i.title, i.link,
            i.summary, i.description, i.date, i.first_seen_at, ${IS_READ} as read,
            (extract(epoch from ${SORT_DATE}) * 1000000)::bigint::text as sort_micros
       from feed_items i
       join feed_subscriptions s on s.feed_id = i.feed_id and s.user_id = ?
       join feeds f on f.id = i.feed_id
       left join feed_item_states st on st.item_id = i.id and st.user_id = s.user_id
      where i.id = ?`,
    [input.userId, input.itemId],
  );
  const row = rows[0];
  return row ? { ...toItem(row), description: row.description } : undefined;
}
