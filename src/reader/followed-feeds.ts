/**
 * The feeds a user follows as the reader shows them (category, unread count,
 * poll state), the unread total for the navigation, and the tags of the
 * bookmarks that led to them.
 */
import type { Knex } from 'knex';
import { UNREAD_COUNT } from './read-sql';

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

/** Unread items across every followed feed. */
export async function countUnread(knex: Knex, userId: number): Promise<number> {
  const { rows } = await knex.raw<{ rows: Array<{ unread: number | null }> }>(
    `select sum(${UNREAD_COUNT})::int as unread from feed_subscriptions s where s.user_id = ?`,
    [userId],
  );
  return rows[0]?.unread ?? 0;
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
