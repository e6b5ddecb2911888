/**
 * Writes processed items, deduplicated by the (feed_id, guid) unique key: a
 * repeated poll updates rows, never adds them.
 */
import type { Knex } from 'knex';
import type { ProcessedItem } from './processor';

export interface UpsertResult {
  readonly inserted: number;
  readonly updated: number;
}

/**
 * One statement per feed, whatever its length: the items travel as a single
 * JSON parameter that PostgreSQL unpacks (json_to_recordset), instead of ten
 * bind parameters a row that knex numbers and pg serialises one by one. A
 * text with NUL is refused here as it was as a parameter (the processor
 * strips them first).
 */
const UPSERT_SQL = `
  INSERT INTO feed_items
    (feed_id, guid, date, link, title, summary, description, first_seen_at, last_seen_at, raw)
  SELECT ?, x.guid, x.date, x.link, x.title, x.summary, x.description, ?, ?, x.raw
    FROM json_to_recordset(?::json) AS x(
      guid text, date timestamptz, link text, title text, summary text, description text, raw jsonb)
  ON CONFLICT (feed_id, guid) DO UPDATE SET
    last_seen_at = excluded.last_seen_at,
    link = excluded.link,
    title = excluded.title,
    summary = excluded.summary,
    description = excluded.description,
    raw = excluded.raw,
    -- A date the feed stops giving is kept; a corrected one replaces it.
    date = coalesce(excluded.date, feed_items.date)
  -- xmax is 0 only on a freshly inserted row version.
  RETURNING (xmax = 0) AS inserted`;

export async function upsertItems(
  trx: Knex.Transaction,
  feedId: number,
  items: readonly ProcessedItem[],
  now: Date,
): Promise<UpsertResult> {
  if (items.length === 0) return { inserted: 0, updated: 0 };
  const rows = items.map((item) => ({
    guid: item.guid,
    date: item.date,
    link: item.link,
    title: item.title,
    summary: item.summary,
    description: item.description,
    raw: item.raw,
  }));
  const result = await trx.raw<{ rows: Array<{ inserted: boolean }> }>(UPSERT_SQL, [
    feedId,
    now,
    now,
    JSON.stringify(rows),
  ]);
  let inserted = 0;
  for (const row of result.rows) if (row.inserted) inserted++;
  const updated = result.rows.length - inserted;
  return { inserted, updated };
}
