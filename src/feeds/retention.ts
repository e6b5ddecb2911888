/**
 * Feed item retention (FEED_ITEMS_RETAINED): each feed keeps its newest N
 * items; older ones are deleted by the hourly prune_old_data task. An item
 * the feed still lists (seen by its latest poll) is never deleted, however
 * old: deleting it would only bring it back as "new" at the next poll.
 * Rows that point at feed items go with them (ON DELETE CASCADE).
 */
import type { Knex } from 'knex';

/** Feeds per statement: each statement stays short (statement_timeout). */
const BATCH = 200;

/** Deletes what is past the retention of every feed; answers how many items went. */
export async function pruneFeedItems(knex: Knex, keep: number): Promise<number> {
  let deleted = 0;
  let after = 0;
  for (;;) {
    const ids: number[] = (
      await knex('feeds').where('id', '>', after).orderBy('id').limit(BATCH).select('id')
    ).map((row: { id: number }) => row.id);
    if (ids.length === 0) return deleted;
    after = ids.at(-1)!;
    deleted += await pruneBatch(knex, ids, keep);
  }
}

async function pruneBatch(knex: Knex, feedIds: readonly number[], keep: number): Promise<number> {
  return knex.transaction(async (trx) => {
    const { rowCount } = await trx.raw<{ rowCount: number }>(
      `delete from feed_items where id in (
         select old.id
           from unnest(?::bigint[]) as f(id)
           cross join lateral (
             select i.id, i.last_seen_at from feed_items i
              where i.feed_id = f.id
              order by coalesce(i.date, i.first_seen_at) desc, i.id desc
              offset ?
           ) old
          where old.last_seen_at < (select max(last_seen_at) from feed_items l where l.feed_id = f.id)
       )`,
      [[...feedIds], keep],
    );
    return rowCount; // counted by the database (model_deletes_total, migration 009)
  });
}
