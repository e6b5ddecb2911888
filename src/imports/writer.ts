/**
 * Writes one batch of an import in one transaction: the job row is locked and
 * checked (still processing, its cursor where the batch starts), the rows are
 * copied into a staging table, and one statement merges them into bookmarks,
 * tags and bookmark_tags and moves the job's cursor and counters. The cursor
 * commits with the rows, so a crash keeps both or neither and a restarted job
 * skips exactly the records done. Foreign keys and triggers work as usual.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { Batch } from './batching';

const MAX_STORED_FAILURES = 1000;

interface BatchTarget {
  readonly jobId: number;
  readonly ownerId: number;
  readonly mode: 'skip' | 'overwrite';
}

export type BatchResult =
  | {
      readonly kind: 'written';
      readonly created: number;
      readonly updated: number;
      readonly skipped: number;
      readonly failed: number;
      readonly tagsCreated: number;
    }
  /** The job is no longer this run's to write: cancelled, ended, or taken on by another worker. */
  | { readonly kind: 'stopped'; readonly status: string };

/** The staging table: temporary (this connection's own), emptied at every commit. */
export async function createStagingTable(client: pg.Client): Promise<void> {
  await client.query(`CREATE TEMP TABLE import_rows (
    url text NOT NULL, hash text COLLATE "C" NOT NULL, title text NOT NULL,
    description text NOT NULL, private boolean NOT NULL, feed_url text,
    created_at timestamptz, updated_at timestamptz, tags text NOT NULL
  ) ON COMMIT DELETE ROWS`);
}

export async function writeBatch(
  client: pg.Client,
  target: BatchTarget,
  batch: Batch,
): Promise<BatchResult> {
  await client.query('BEGIN');
  try {
    const { rows } = await client.query<{
      status: string;
      resume_cursor: number;
      failed_bookmarks: number;
    }>({
      name: 'import_lock_job',
      text: 'SELECT status, resume_cursor, failed_bookmarks FROM import_jobs WHERE id = $1 FOR UPDATE',
      values: [target.jobId],
    });
    const job = rows[0];
    if (job?.status !== 'processing' || job.resume_cursor !== batch.startIndex) {
      await client.query('ROLLBACK');
      return { kind: 'stopped', status: job?.status ?? 'gone' };
    }
    if (batch.rowCount > 0) {
      await pipeline(Readable.from([batch.rows]), client.query(copyFrom(COPY)));
    }
    const room = Math.max(0, MAX_STORED_FAILURES - job.failed_bookmarks);
    const merged = await client.query<{ created: number; updated: number; tags_created: number }>({
      name: 'import_merge',
      text: MERGE,
      values: [
        target.ownerId,
        target.mode === 'overwrite',
        target.jobId,
        batch.endIndex,
        batch.rowCount + batch.duplicates,
        batch.failures.length,
        JSON.stringify(batch.failures.slice(0, room)),
      ],
    });
    await client.query('COMMIT');
    const { created, updated, tags_created } = merged.rows[0]!;
    return {
      kind: 'written',
      created,
      updated,
      skipped: batch.rowCount + batch.duplicates - created - updated,
      failed: batch.failures.length,
      tagsCreated: tags_created,
    };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

const COPY = `COPY import_rows (url, hash, title, description, private, feed_url, created_at, updated_at, tags)
  FROM STDIN`;

/**
 * $1 owner, $2 overwrite?, $3 job, $4 the batch's end (the new cursor),
 * $5 records that are skipped unless created or updated, $6 failed records,
 * $7 the failures to keep on the job (JSON).
 *
 * Skip mode inserts what the owner does not have, and links its tags.
 * Overwrite mode also replaces the owner's bookmarks with the file's, except
 * that an empty title or description, a missing date or feed keeps what is
 * there; one that comes with tags gets exactly those (the links it already
 * has stay, the others go). Tags are created only for bookmarks written, in
 * name order (two imports never deadlock on them).
 */
const MERGE = `WITH updated AS (
    UPDATE bookmarks b SET
      url = r.url,
      title = CASE WHEN r.title = '' THEN b.title ELSE r.title END,
      description = CASE WHEN r.description = '' THEN b.description ELSE r.description END,
      private = r.private,
      feed_url = coalesce(r.feed_url, b.feed_url),
      created_at = coalesce(r.created_at, b.created_at),
      updated_at = coalesce(r.updated_at, now())
    FROM import_rows r
    WHERE $2 AND b.owner_id = $1 AND b.unique_hash = r.hash
    RETURNING b.id, r.tags
  ),
  inserted AS (
    INSERT INTO bookmarks
      (owner_id, url, unique_hash, title, description, private, feed_url, created_at, updated_at)
    SELECT $1, url, hash, title, description, private, feed_url,
           coalesce(created_at, now()), coalesce(updated_at, created_at, now())
      FROM import_rows ORDER BY hash
    ON CONFLICT (owner_id, unique_hash) DO NOTHING
    RETURNING id, unique_hash
  ),
  pairs AS (
    SELECT w.id, w.fresh, unnest(string_to_array(w.tags, ' ')) AS name
      FROM (SELECT i.id, true AS fresh, r.tags
              FROM inserted i JOIN import_rows r ON r.hash = i.unique_hash
            UNION ALL SELECT id, false, tags FROM updated) w
     WHERE w.tags <> ''
  ),
  wanted AS (SELECT DISTINCT name FROM pairs),
  new_tags AS (
    INSERT INTO tags (owner_id, name)
    SELECT $1, name FROM wanted w
     WHERE NOT EXISTS (SELECT FROM tags t WHERE t.owner_id = $1 AND t.name = w.name)
     ORDER BY name
    -- Created by someone else since this statement began: taken as it is.
    ON CONFLICT (owner_id, name) DO UPDATE SET name = excluded.name
    RETURNING id, name
  ),
  batch_tags AS (
    SELECT id, name FROM new_tags
    UNION ALL
    SELECT t.id, t.name FROM tags t JOIN wanted w ON t.name = w.name WHERE t.owner_id = $1
  ),
  links AS (SELECT p.id, p.fresh, t.id AS tag_id FROM pairs p JOIN batch_tags t ON t.name = p.name),
  unlinked AS (
    DELETE FROM bookmark_tags bt USING updated u
     WHERE bt.bookmark_id = u.id AND u.tags <> ''
       AND NOT EXISTS (SELECT FROM links l WHERE l.id = bt.bookmark_id AND l.tag_id = bt.tag_id)
  ),
  linked AS (
    INSERT INTO bookmark_tags (bookmark_id, tag_id)
    SELECT id, tag_id FROM links l
     WHERE l.fresh
        OR NOT EXISTS (SELECT FROM bookmark_tags x WHERE x.bookmark_id = l.id AND x.tag_id = l.tag_id)
  ),
  counts AS (
    SELECT (SELECT count(*) FROM inserted)::int AS created,
           (SELECT count(*) FROM updated)::int AS updated,
           (SELECT count(*) FROM new_tags)::int AS tags_created
  )
  UPDATE import_jobs SET
    resume_cursor = $4, processed_bookmarks = $4,
    total_bookmarks = greatest(total_bookmarks, $4),
    created_bookmarks = created_bookmarks + c.created,
    updated_bookmarks = updated_bookmarks + c.updated,
    skipped_bookmarks = skipped_bookmarks + $5 - c.created - c.updated,
    failed_bookmarks = failed_bookmarks + $6,
    failed_bookmark_details = failed_bookmark_details || $7::jsonb,
    updated_at = now()
  FROM counts c
  WHERE id = $3
  RETURNING c.created, c.updated, c.tags_created`;
