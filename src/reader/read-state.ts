/**
 * Marking items read or unread. One item (or a page of them) gets an
 * explicit state row, only where it differs from the watermark. "Everything
 * older than D" moves the watermarks of the feeds in scope: a few row updates
 * however many items that covers (see read-sql.ts and migration 008).
 *
 * The mark "older than D, of the items up to id M" and a watermark (Wd, Wm)
 * are both rectangles; their union is not always one. Where it is not, the
 * rectangle kept is the one with the higher id bound and the rest is written
 * as explicit rows: that rest lies between the two id bounds, i.e. among the
 * items that arrived between two page views, so it stays small.
 */
import type { Knex } from 'knex';
import { type ItemScope, newestItemId, scopeWhere } from './item-list';
import { ABOVE_WATERMARK, SORT_DATE } from './read-sql';

export interface MarkItemsInput {
  readonly userId: number;
  readonly itemIds: readonly number[];
  readonly read: boolean;
}

/**
 * Sets the state of items of feeds the user follows; others are left alone
 * and not reported. Answers the ids that were found.
 */
export async function markItems(knex: Knex, input: MarkItemsInput): Promise<number[]> {
  if (input.itemIds.length === 0) return [];
  const ids = [...new Set(input.itemIds)];
  return knex.transaction(async (trx) => {
    // The watermarks must not move between reading them and writing against
    // them; locked in feed order, as markOlderThan does, so two never deadlock.
    await trx.raw(
      `select 1 from feed_subscriptions
        where user_id = ? and feed_id in (select feed_id from feed_items where id = any(?::bigint[]))
        order by feed_id
        for update`,
      [input.userId, ids],
    );
    const { rows } = await trx.raw<{ rows: Array<{ id: number }> }>(
      `with target as (
         select i.id, i.feed_id, ${ABOVE_WATERMARK} as above
           from feed_items i
           join feed_subscriptions s on s.feed_id = i.feed_id and s.user_id = ?
          where i.id = any(?::bigint[])
       ), cleared as (
         -- The watermark already says what is asked: no row needed.
         delete from feed_item_states st using target t
          where st.user_id = ? and st.item_id = t.id and t.above <> ?
       ), stored as (
         insert into feed_item_states (item_id, user_id, feed_id, read)
         select t.id, ?, t.feed_id, ? from target t where t.above = ?
         on conflict (item_id, user_id) do update set read = excluded.read, updated_at = now()
       )
       select id from target`,
      [input.userId, ids, input.userId, input.read, input.userId, input.read, input.read],
    );
    return rows.map((row) => row.id);
  });
}

export interface MarkOlderInput {
  readonly scope: ItemScope;
  /** Items dated before this are marked; null marks every item. */
  readonly before: Date | null;
  /**
   * Only items up to this id (those that existed when the user looked);
   * defaults to the newest item there is now.
   */
  readonly throughItemId?: number | undefined;
}

/** Marks read every item in scope older than `before`; answers how many feeds it touched. */
export async function markOlderThan(
  knex: Knex,
  input: MarkOlderInput,
): Promise<{ readonly feeds: number }> {
  return knex.transaction(async (trx) => {
    const scope = scopeWhere(input.scope);
    const { rows } = await trx.raw<{ rows: Array<{ feed_id: number }> }>(
      `select s.feed_id from feed_subscriptions s join feeds f on f.id = s.feed_id
        where ${scope.sql} order by s.feed_id for update of s`,
      scope.bindings,
    );
    const feedIds = rows.map((row) => row.feed_id);
    if (feedIds.length === 0) return { feeds: 0 };
    const through = input.throughItemId ?? (await newestItemId(trx));
    const mark: Mark = {
      date: input.before ?? 'infinity',
      through,
      userId: input.scope.userId,
      feedIds,
    };
    await markArrivedBand(trx, mark);
    await keepOldBand(trx, mark);
    await trx.raw(
      `update feed_subscriptions s
          set read_before = cast(? as timestamptz), read_through_item_id = ?
        where s.user_id = ? and s.feed_id = any(?::bigint[])
          and (cast(? as timestamptz), cast(? as bigint)) > (s.read_before, s.read_through_item_id)`,
      [mark.date, through, mark.userId, feedIds, mark.date, through],
    );
    await dropCoveredStates(trx, mark);
    return { feeds: feedIds.length };
  });
}

interface Mark {
  readonly date: Date | 'infinity';
  readonly through: number;
  readonly userId: number;
  readonly feedIds: number[];
}

/**
 * A mark with an earlier date but a higher id bound than the watermark: the
 * watermark stays, and the items that arrived after it and fall under the
 * mark are marked one by one (an explicit unread among them becomes read).
 */
async function markArrivedBand(trx: Knex.Transaction, mark: Mark): Promise<void> {
  await trx.raw(
    `insert into feed_item_states (item_id, user_id, feed_id, read)
     select i.id, s.user_id, i.feed_id, true
       from feed_subscriptions s
       join feed_items i on i.feed_id = s.feed_id
        and i.id > s.read_through_item_id and i.id <= ? and ${SORT_DATE} < cast(? as timestamptz)
      where s.user_id = ? and s.feed_id = any(?::bigint[])
        and cast(? as timestamptz) < s.read_before and ? > s.read_through_item_id
     on conflict (item_id, user_id) do update set read = true, updated_at = now()`,
    [mark.through, mark.date, mark.userId, mark.feedIds, mark.date, mark.through],
  );
}

/**
 * A mark with a later date but a lower id bound (a page older than the last
 * mark): the mark becomes the watermark, and what only the old one covered
 * (items above the new id bound) keeps its read state as explicit rows. An
 * explicit unread there stays unread: the mark did not reach it.
 */
async function keepOldBand(trx: Knex.Transaction, mark: Mark): Promise<void> {
  await trx.raw(
    `insert into feed_item_states (item_id, user_id, feed_id, read)
     select i.id, s.user_id, i.feed_id, true
       from feed_subscriptions s
       join feed_items i on i.feed_id = s.feed_id
        and i.id > ? and i.id <= s.read_through_item_id and ${SORT_DATE} < s.read_before
      where s.user_id = ? and s.feed_id = any(?::bigint[])
        and cast(? as timestamptz) > s.read_before and ? < s.read_through_item_id
     on conflict (item_id, user_id) do nothing`,
    [mark.through, mark.userId, mark.feedIds, mark.date, mark.through],
  );
}

/**
 * Explicit rows the watermark now covers: a read one says nothing more, and
 * one inside the mark (an explicit unread) is read now, as the mark says.
 */
async function dropCoveredStates(trx: Knex.Transaction, mark: Mark): Promise<void> {
  await trx.raw(
    `delete from feed_item_states st
      using feed_items i, feed_subscriptions s
      where st.user_id = ? and st.feed_id = any(?::bigint[])
        and i.id = st.item_id and s.user_id = st.user_id and s.feed_id = st.feed_id
        and i.id <= s.read_through_item_id and ${SORT_DATE} < s.read_before
        and (st.read or (i.id <= ? and ${SORT_DATE} < cast(? as timestamptz)))`,
    [mark.userId, mark.feedIds, mark.through, mark.date],
  );
}
