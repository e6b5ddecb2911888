/**
 * Writes processed items. One statement per chunk, deduplicated by the
 * (feed_id, guid) unique key: a repeated poll updates rows, never adds them.
 */
import type { Knex } from 'knex';
import { afterCommit } from '../db/after-commit';
import { recordModelWrites } from '../db/metrics';
import type { ProcessedItem } from './processor';

/** 10 columns a row: well under PostgreSQL's 65 535 bind parameters. */
const CHUNK = 500;

export interface UpsertResult {
  readonly inserted: number;
  readonly updated: number;
}

export async function upsertItems(
  trx: Knex.Transaction,
  feedId: number,
  items: readonly ProcessedItem[],
  now: Date,
): Promise<UpsertResult> {
  let inserted = 0;
  let updated = 0;
  for (let i = 0; i < items.length; i += CHUNK) {
    const rows = items.slice(i, i + CHUNK).map((item) => ({
      feed_id: feedId,
      guid: item.guid,
      date: item.date,
      link: item.link,
      title: item.title,
      summary: item.summary,
      description: item.description,
      first_seen_at: now,
      last_seen_at: now,
      raw: JSON.stringify(item.raw),
    }));
    const result = await trx('feed_items')
      .insert(rows)
      .onConflict(['feed_id', 'guid'])
      .merge({
        last_seen_at: trx.raw('excluded.last_seen_at'),
        link: trx.raw('excluded.link'),
        title: trx.raw('excluded.title'),
        summary: trx.raw('excluded.summary'),
        description: trx.raw('excluded.description'),
        raw: trx.raw('excluded.raw'),
        // A date the feed stops giving is kept; a corrected one replaces it.
        date: trx.raw('coalesce(excluded.date, feed_items.date)'),
      })
      // xmax is 0 only on a freshly inserted row version.
      .returning(trx.raw('(xmax = 0) as inserted'));
    for (const row of result as unknown as Array<{ inserted: boolean }>) {
      if (row.inserted) inserted++;
      else updated++;
    }
  }
  // Bulk knex writes bypass objection's hooks: count them here, after commit.
  afterCommit(trx, () => {
    recordModelWrites('feed_item', 'insert', inserted);
    recordModelWrites('feed_item', 'update', updated);
  });
  return { inserted, updated };
}
