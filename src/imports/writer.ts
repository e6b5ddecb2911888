/**
 * Writes one batch of an import in one transaction: the bookmarks and their
 * tag links (one statement over the batch's array columns), then the job's
 * cursor and counters. The cursor commits with the rows, so a crash keeps
 * both or neither, and a restarted job skips exactly the records done.
 *
 * Two batches are written at once on two connections (both cores of the
 * database work), but they commit strictly in order: a batch's transaction
 * does its heavy statement, then waits for the previous batch to end before
 * it locks the job row, checks that the cursor is exactly where it starts,
 * and commits. If the previous batch failed or stopped, it rolls back. The
 * job-row check also stops a cancelled job and keeps a second worker on the
 * same job (a stale lock taken over) from writing a record twice.
 */
import type pg from 'pg';
import { type Columns, type PreparedBatch, unknownTagPairs } from './columns';

export const MAX_STORED_FAILURES = 1000;
const MAX_KNOWN_TAGS = 50_000;

export interface Batch {
  readonly jobId: number;
  readonly ownerId: number;
  readonly mode: 'skip' | 'overwrite';
  readonly parsed: PreparedBatch;
  /**
   * Enforce the batch's foreign keys with one lock statement per table instead
   * of PostgreSQL's per-row triggers (keys.ts); only when canCheckKeysSetWise.
   */
  readonly setWiseKeys?: boolean;
}

export type BatchResult = { readonly tagsCreated: number } & (
  | {
      readonly kind: 'written';
      readonly created: number;
      readonly updated: number;
      readonly skipped: number;
      readonly failed: number;
      readonly tagLinks: number;
    }
  /** The job is no longer processing (cancelled, or ended elsewhere). */
  | { readonly kind: 'stopped'; readonly status: string }
  /** Another worker already committed these records. */
  | { readonly kind: 'behind' }
  /** Rolled back because the batch before it did not commit. */
  | { readonly kind: 'abandoned' }
);

export type BatchKind = BatchResult['kind'] | 'failed';

/**
 * `previous` settles with how the batch before this one ended; this one
 * commits only after that, and only if it was written (or already done).
 */
export async function writeBatch(
  client: pg.Client,
  batch: Batch,
  previous: Promise<BatchKind>,
  knownTags: Set<string>,
): Promise<BatchResult> {
  const { parsed } = batch;
  const { columns } = parsed;
  // Committed at once, outside the batch: then no transaction ever waits on a
  // tag another one created, whatever order they commit in.
  const tagsCreated = await createTags(client, batch, knownTags);
  await client.query('BEGIN');
  try {
    if (batch.setWiseKeys) await client.query('SET LOCAL session_replication_role = replica');
    const updated =
      columns && batch.mode === 'overwrite'
        ? await overwrite(client, batch.ownerId, columns)
        : { ids: [], hashes: [] };
    const written = columns
      ? await insertAndLink(client, batch.ownerId, columns, updated, batch.setWiseKeys === true)
      : { created: 0, links: 0 };
    const before = await previous;
    if (before !== 'written' && before !== 'behind') {
      await client.query('ROLLBACK');
      return { kind: 'abandoned', tagsCreated };
    }
    const result = await advanceJob(client, batch, {
      created: written.created,
      updated: updated.ids.length,
      links: written.links,
    });
    await client.query(result.kind === 'written' ? 'COMMIT' : 'ROLLBACK');
    return { ...result, tagsCreated };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

type Advance =
  | {
      kind: 'written';
      created: number;
      updated: number;
      skipped: number;
      failed: number;
      tagLinks: number;
    }
  | { kind: 'stopped'; status: string }
  | { kind: 'behind' };

async function advanceJob(
  client: pg.Client,
  batch: Batch,
  counts: { created: number; updated: number; links: number },
): Promise<Advance> {
  const { parsed } = batch;
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
  const room = Math.max(0, MAX_STORED_FAILURES - job.failed_bookmarks);
  const skipped = parsed.itemCount - counts.created - counts.updated + parsed.duplicateCount;
  await client.query({
    name: 'import_advance_job',
    text: `UPDATE import_jobs SET
       resume_cursor = $2, processed_bookmarks = $2,
       total_bookmarks = greatest(total_bookmarks, $2),
       created_bookmarks = created_bookmarks + $3,
       updated_bookmarks = updated_bookmarks + $4,
       skipped_bookmarks = skipped_bookmarks + $5,
       failed_bookmarks = failed_bookmarks + $6,
       failed_bookmark_details = CASE WHEN $7::jsonb = '[]' THEN failed_bookmark_details
                                      ELSE failed_bookmark_details || $7::jsonb END,
       updated_at = now()
     WHERE id = $1`,
    values: [
      batch.jobId,
      parsed.endIndex,
      counts.created,
      counts.updated,
      skipped,
      parsed.failures.length,
      JSON.stringify(parsed.failures.slice(0, room)),
    ],
  });
  return {
    kind: 'written',
    created: counts.created,
    updated: counts.updated,
    skipped,
    failed: parsed.failures.length,
    tagLinks: counts.links,
  };
}

/**
 * Creates the owner's missing tags that the batch will link, in sorted order
 * (two writers never deadlock on them), and remembers which exist: after the
 * first batches, most batches need no tag statement at all. In skip mode,
 * only for records the owner does not have yet: a skipped duplicate leaves no
 * unused tag behind. (A tag deleted by its owner during the import loses the
 * links to it that come after.)
 */
async function createTags(client: pg.Client, batch: Batch, known: Set<string>): Promise<number> {
  const pairs = unknownTagPairs(batch.parsed.newTagPairs, known);
  if (!pairs) return 0;
  const { rows } = await client.query<{ ensured: string[] | null; created: number }>({
    name: batch.mode === 'skip' ? 'import_tags_new' : 'import_tags_all',
    text: `WITH wanted AS (
             SELECT DISTINCT p.name
               FROM unnest($2::text[], $3::text[]) AS p(hash, name)
              WHERE ${
                batch.mode === 'skip'
                  ? 'NOT EXISTS (SELECT 1 FROM bookmarks b WHERE b.owner_id = $1 AND b.unique_hash = p.hash)'
                  : 'true'
              }
           ),
           created AS (
             INSERT INTO tags (owner_id, name)
             SELECT $1::bigint, name FROM wanted ORDER BY name
             ON CONFLICT (owner_id, name) DO NOTHING
             RETURNING 1
           )
           SELECT array_agg(name) AS ensured, (SELECT count(*) FROM created)::int AS created
             FROM wanted`,
    values: [batch.ownerId, pairs.hash, pairs.tag],
  });
  // Bounded: a file of endless distinct tags must not grow it without limit.
  for (const name of rows[0]?.ensured ?? []) if (known.size < MAX_KNOWN_TAGS) known.add(name);
  return rows[0]?.created ?? 0;
}

/** The batch's records as rows; each column arrives as a binary array (columns.ts). */
const ROWS = `unnest($2::text[], $3::text[], $4::text[], $5::text[],
    $6::boolean[], $7::text[], $8::timestamptz[], $9::timestamptz[])
  AS i(url, hash, title, description, private, feed_url, created_at, updated_at)`;

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
 * Inserts the records the owner does not have and links them — and the
 * overwritten bookmarks, given by id — to their tags, in one statement. The
 * links need no ON CONFLICT: they are for bookmarks just inserted, or
 * overwritten ones whose links were cleared.
 */
async function insertAndLink(
  client: pg.Client,
  ownerId: number,
  c: Columns,
  updated: { ids: string[]; hashes: string[] },
  setWise: boolean,
): Promise<{ created: number; links: number }> {
  const { rows } = await client.query<{ created: number; links: number }>({
    // Named: planned once per connection, not for every batch.
    name: setWise ? 'import_insert_and_link_setwise' : 'import_insert_and_link',
    text: `WITH ${
      setWise
        ? `owner AS (SELECT id FROM users WHERE id = $1 FOR KEY SHARE),
           tag AS (SELECT id, name FROM tags
                    WHERE owner_id = $1 AND name = ANY($13::text[]) FOR KEY SHARE),`
        : `tag AS (SELECT id, name FROM tags WHERE owner_id = $1),`
    }
     ins AS (
       INSERT INTO bookmarks
         (owner_id, url, unique_hash, title, description, private, feed_url, created_at, updated_at)
       SELECT $1, i.url, i.hash, i.title, i.description, i.private, i.feed_url,
              coalesce(i.created_at, now()), coalesce(i.updated_at, i.created_at, now())
         FROM ${ROWS}${setWise ? ' CROSS JOIN owner' : ''}
       ON CONFLICT (owner_id, unique_hash) DO NOTHING
       RETURNING id, unique_hash
     ),
     written AS (
       SELECT id, unique_hash FROM ins
       UNION ALL
       SELECT * FROM unnest($10::bigint[], $11::text[]) AS u(id, unique_hash)
     ),
     links AS (
       INSERT INTO bookmark_tags (bookmark_id, tag_id)
       SELECT w.id, t.id
         FROM unnest($12::text[], $13::text[]) AS p(hash, name)
         JOIN written w ON w.unique_hash = p.hash
         JOIN tag t ON t.name = p.name
       RETURNING 1
     )
     SELECT (SELECT count(*) FROM ins)::int AS created,
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
          AND upd.unique_hash IN (SELECT unnest($10::text[]))
       RETURNING 1
     )
     SELECT array_agg(id::text) AS ids, array_agg(unique_hash) AS hashes,
            (SELECT count(*) FROM cleared) AS cleared
       FROM upd`,
    values: [ownerId, ...inputParams(c), c.pair_hash],
  });
  return { ids: rows[0]?.ids ?? [], hashes: rows[0]?.hashes ?? [] };
}
