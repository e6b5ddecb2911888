/**
 * Writes one batch of an import in one transaction: the bookmarks, their tags
 * and links (one statement over the batch's array columns), and the job's
 * cursor and counters. The cursor commits with the rows, so a crash keeps
 * both or neither, and a restarted job skips exactly the records done. The job
 * row is locked first: a cancelled job stops here, and two workers on one job
 * (a stale lock taken over) never write a record twice.
 */
import type pg from 'pg';
import type { ParsedBatch } from './batching';
import { type Columns, toColumns } from './columns';

export const MAX_STORED_FAILURES = 1000;

export interface Batch {
  readonly jobId: number;
  readonly ownerId: number;
  readonly mode: 'skip' | 'overwrite';
  readonly parsed: ParsedBatch;
}

export interface Written {
  readonly kind: 'written';
  readonly created: number;
  readonly updated: number;
  readonly skipped: number;
  readonly failed: number;
  readonly tagsCreated: number;
  readonly tagLinks: number;
}

export type BatchResult =
  | Written
  /** The job is no longer processing (cancelled, or ended elsewhere). */
  | { readonly kind: 'stopped'; readonly status: string }
  /** Another worker already committed these records. */
  | { readonly kind: 'behind' };

export async function writeBatch(client: pg.Client, batch: Batch): Promise<BatchResult> {
  const { parsed } = batch;
  await client.query('BEGIN');
  try {
    const result = await write(client, batch, parsed);
    await client.query(result.kind === 'written' ? 'COMMIT' : 'ROLLBACK');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

async function write(client: pg.Client, batch: Batch, parsed: ParsedBatch): Promise<BatchResult> {
  const { rows: jobs } = await client.query<{
    status: string;
    resume_cursor: number;
    failed_bookmarks: number;
  }>({
    name: 'import_lock_job',
    text: 'SELECT status, resume_cursor, failed_bookmarks FROM import_jobs WHERE id = $1 FOR UPDATE',
    values: [batch.jobId],
  });
  const job = jobs[0];
  if (job?.status !== 'processing') return { kind: 'stopped', status: job?.status ?? 'gone' };
  // Only the exact next batch is written. Ahead of us: another worker did it.
  // Behind us (batches cut differently by an earlier run): retry, which re-aligns.
  if (job.resume_cursor > parsed.startIndex) return { kind: 'behind' };
  if (job.resume_cursor < parsed.startIndex) {
    throw new Error(
      `import ${batch.jobId}: cursor ${job.resume_cursor} is before batch ${parsed.startIndex}`,
    );
  }
  const items = parsed.items.length;
  const columns = items > 0 ? toColumns(parsed.items) : undefined;
  const updated =
    columns && batch.mode === 'overwrite'
      ? await overwrite(client, batch.ownerId, columns)
      : { ids: [], hashes: [] };
  const written = columns
    ? await insertAndLink(client, batch.ownerId, columns, updated)
    : { created: 0, tags_created: 0, links: 0 };

  const room = Math.max(0, MAX_STORED_FAILURES - job.failed_bookmarks);
  const details = parsed.failures.slice(0, room);
  const skipped = items - written.created - updated.ids.length + parsed.duplicates.length;
  await client.query({
    name: 'import_advance_job',
    text: `UPDATE import_jobs SET
       resume_cursor = $2, processed_bookmarks = $2,
       total_bookmarks = greatest(total_bookmarks, $2),
       created_bookmarks = created_bookmarks + $3,
       updated_bookmarks = updated_bookmarks + $4,
       skipped_bookmarks = skipped_bookmarks + $5,
       failed_bookmarks = failed_bookmarks + $6,
       failed_bookmark_details = failed_bookmark_details || $7::jsonb,
       updated_at = now()
     WHERE id = $1`,
    values: [
      batch.jobId,
      parsed.endIndex,
      written.created,
      updated.ids.length,
      skipped,
      parsed.failures.length,
      JSON.stringify(details),
    ],
  });
  return {
    kind: 'written',
    created: written.created,
    updated: updated.ids.length,
    skipped,
    failed: parsed.failures.length,
    tagsCreated: written.tags_created,
    tagLinks: written.links,
  };
}

/** The batch's records as rows; each column arrives as the text of an array literal. */
const INPUT = `unnest($2::text::text[], $3::text::text[], $4::text::text[], $5::text::text[],
    $6::text::boolean[], $7::text::text[], $8::text::float8[], $9::text::float8[])
  AS r(url, hash, title, description, private, feed_url, created_ms, updated_ms)`;

/** The input rows with their dates as timestamps (NULL: the file had none). */
const ROWS = `(SELECT r.url, r.hash, r.title, r.description, r.private, r.feed_url,
          to_timestamp(r.created_ms / 1000) AS created_at,
          to_timestamp(r.updated_ms / 1000) AS updated_at
     FROM ${INPUT}) AS i`;

const inputParams = (c: Columns) => [
  c.url,
  c.hash,
  c.title,
  c.description,
  c.private,
  c.feed_url,
  c.created_at,
  c.updated_at,
];

/**
 * Inserts the records the owner does not have, creates the tags they need and
 * links them — and links the overwritten bookmarks, given by id — in one
 * statement. New tag ids come from the tags CTE, existing ones from the table:
 * one snapshot sees one or the other. The links need no ON CONFLICT: they are
 * for bookmarks just inserted, or overwritten ones whose links were cleared.
 */
async function insertAndLink(
  client: pg.Client,
  ownerId: number,
  c: Columns,
  updated: { ids: string[]; hashes: string[] },
): Promise<{ created: number; tags_created: number; links: number }> {
  const { rows } = await client.query<{ created: number; tags_created: number; links: number }>({
    // Named: planned once per connection, not for every batch.
    name: 'import_insert_and_link',
    text: `WITH ins AS (
       INSERT INTO bookmarks
         (owner_id, url, unique_hash, title, description, private, feed_url, created_at, updated_at)
       SELECT $1, i.url, i.hash, i.title, i.description, i.private, i.feed_url,
              coalesce(i.created_at, now()), coalesce(i.updated_at, i.created_at, now())
         FROM ${ROWS}
       ON CONFLICT (owner_id, unique_hash) DO NOTHING
       RETURNING id, unique_hash
     ),
     written AS (
       SELECT id, unique_hash FROM ins
       UNION ALL
       SELECT * FROM unnest($10::bigint[], $11::text[]) AS u(id, unique_hash)
     ),
     pairs AS (
       SELECT w.id AS bookmark_id, p.name
         FROM unnest($12::text::text[], $13::text::text[]) AS p(hash, name)
         JOIN written w ON w.unique_hash = p.hash
     ),
     new_tags AS (
       INSERT INTO tags (owner_id, name)
       SELECT DISTINCT $1::bigint, name FROM pairs ORDER BY 2
       ON CONFLICT (owner_id, name) DO NOTHING
       RETURNING id, name
     ),
     links AS (
       INSERT INTO bookmark_tags (bookmark_id, tag_id)
       SELECT pairs.bookmark_id, coalesce(n.id, t.id)
         FROM pairs
         LEFT JOIN new_tags n ON n.name = pairs.name
         LEFT JOIN tags t ON t.owner_id = $1 AND t.name = pairs.name
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins)::int AS created,
            (SELECT count(*) FROM new_tags)::int AS tags_created,
            (SELECT count(*) FROM links)::int AS links`,
    values: [ownerId, ...inputParams(c), updated.ids, updated.hashes, c.pair_hash, c.pair_tag],
  });
  return rows[0]!;
}

/**
 * Overwrite mode: the file's version replaces the owner's, except that an
 * empty title or description, a missing date or feed keeps what is there.
 * Overwritten bookmarks that come with tags lose their old ones (the new ones
 * are linked by insertAndLink).
 */
async function overwrite(
  client: pg.Client,
  ownerId: number,
  c: Columns,
): Promise<{ ids: string[]; hashes: string[] }> {
  const { rows } = await client.query<{ ids: string[] | null; hashes: string[] | null }>({
    name: 'import_overwrite',
    text: `WITH upd AS (
       UPDATE bookmarks AS b SET
         url = i.url,
         title = CASE WHEN i.title = '' THEN b.title ELSE i.title END,
         description = CASE WHEN i.description = '' THEN b.description ELSE i.description END,
         private = i.private,
         feed_url = coalesce(i.feed_url, b.feed_url),
         created_at = coalesce(i.created_at, b.created_at),
         updated_at = coalesce(i.updated_at, now())
        FROM ${ROWS}
       WHERE b.owner_id = $1 AND b.unique_hash = i.hash
       RETURNING b.id, b.unique_hash
     ),
     cleared AS (
       DELETE FROM bookmark_tags bt USING upd
        WHERE bt.bookmark_id = upd.id
          AND upd.unique_hash IN (SELECT unnest($10::text::text[]))
       RETURNING 1
     )
     SELECT array_agg(id::text) AS ids, array_agg(unique_hash) AS hashes,
            (SELECT count(*) FROM cleared) AS cleared
       FROM upd`,
    values: [ownerId, ...inputParams(c), c.pair_hash],
  });
  return { ids: rows[0]?.ids ?? [], hashes: rows[0]?.hashes ?? [] };
}
