/**
 * The feeds a user follows as the reader shows them (category, unread count,
 * poll state), the unread total for the navigation, and the tags of the
 * bookmarks that led to them.
 */
import type { Knex } from 'knex';
import { ABOVE_WATERMARK, UNREAD_COUNT, WATERMARK_SETS } from './read-sql';

export interface FollowedFeed {
  readonly id: number;
  readonly title: string;
  readonly url: string;
  readonly categoryId: number | null;
  readonly unread: number;
  readonly disabled: boolean;
  readonly lastStatus: string | null;
  readonly lastError: string | null;
  readonly errorCount: number;
  readonly lastPolledAt: Date | null;
  readonly nextPollAt: Date;
}

interface FeedRow {
  id: number;
  title: string;
  url: string;
  category_id: number | null;
  unread: number;
  disabled: boolean;
  last_status: string | null;
  last_error: string | null;
  error_count: number;
  last_polled_at: Date | null;
  next_poll_at: Date;
}

/** Followed feeds, by title; `feedIds` narrows them. */
export async function listFollowedFeeds(
  knex: Knex,
  input: { readonly userId: number; readonly feedIds?: readonly number[] },
): Promise<FollowedFeed[]> {
  if (input.feedIds?.length === 0) return [];
  const only = input.feedIds ? 'and s.feed_id = any(?::bigint[])' : '';
  const { rows } = await knex.raw<{ rows: FeedRow[] }>(
    `select f.id, f.title, f.url, s.category_id, ${UNREAD_COUNT} as unread, f.disabled,
            f.last_status, f.last_error, f.error_count, f.last_polled_at, f.next_poll_at
       from feed_subscriptions s join feeds f on f.id = s.feed_id
      where s.user_id = ? ${only}
      order by lower(coalesce(nullif(f.title, ''), f.url)), f.id`,
    input.feedIds ? [input.userId, [...input.feedIds]] : [input.userId],
  );
  return rows.map((row) => ({
    id: row.id,
    title: row.title,
    url: row.url,
    categoryId: row.category_id,
    unread: row.unread,
    disabled: row.disabled,
    lastStatus: row.last_status,
    lastError: row.last_error,
    errorCount: row.error_count,
    lastPolledAt: row.last_polled_at,
    nextPollAt: row.next_poll_at,
  }));
}

/**
 * Past this many, the total is shown as "1000+": counting every unread item
 * of a large backlog on every page would cost as much as the backlog.
 */
export const UNREAD_TOTAL_CAP = 1000;

export interface UnreadTotal {
  /** Exact when `more` is false; the cap otherwise. */
  readonly count: number;
  readonly more: boolean;
}

/**
 * Unread items across every followed feed, counted up to the cap: the
 * explicit rows first (few), then the watermark's sets, which the LIMIT
 * stops reading once the answer is known to be over the cap.
 */
export async function countUnread(
  knex: Knex,
  userId: number,
  cap = UNREAD_TOTAL_CAP,
): Promise<UnreadTotal> {
  const explicit = await knex.raw<{ rows: Array<{ adjust: number; read_above: number }> }>(
    `select coalesce(sum(case when st.read then -1 else 1 end), 0)::int as adjust,
            count(*) filter (where st.read)::int as read_above
       from feed_item_states st
       join feed_items i on i.id = st.item_id
       join feed_subscriptions s on s.user_id = st.user_id and s.feed_id = st.feed_id
      where st.user_id = ? and st.read = ${ABOVE_WATERMARK}`,
    [userId],
  );
  const { adjust, read_above } = explicit.rows[0]!;
  // Enough rows to know the answer is over the cap even after the explicit reads.
  const limit = cap + read_above + 1;
  const above = await knex.raw<{ rows: Array<{ n: number }> }>(
    `select count(*)::int as n from (
       select 1 from feed_subscriptions s
       cross join lateral (
         select i.id from feed_items i where ${WATERMARK_SETS.newer}
         union all
         select i.id from feed_items i where ${WATERMARK_SETS.arrived}
       ) x
       where s.user_id = ?
       limit ?) q`,
    [userId, limit],
  );
  const n = above.rows[0]!.n;
  const count = n + adjust;
  return n >= limit || count > cap ? { count: cap, more: true } : { count, more: false };
}

/** "1000+" past the cap. */
export function unreadText(total: UnreadTotal): string {
  return total.more ? `${total.count}+` : String(total.count);
}

/** The user's own tags found on bookmarks whose feed they follow, with how many such feeds. */
export async function listFeedTags(
  knex: Knex,
  userId: number,
): Promise<Array<{ readonly name: string; readonly feeds: number }>> {
  const { rows } = await knex.raw<{ rows: Array<{ name: string; feeds: number }> }>(
    `select t.name, count(distinct f.id)::int as feeds
       from feed_subscriptions s
       join feeds f on f.id = s.feed_id
       join bookmarks b on b.feed_url = f.url and b.owner_id = s.user_id
       join bookmark_tags bt on bt.bookmark_id = b.id
       join tags t on t.id = bt.tag_id
      where s.user_id = ?
      group by t.name
      order by t.name
      limit 500`,
    [userId],
  );
  return rows;
}
