/**
 * Writes one batch of an import in one transaction: the bookmarks (one
 * multi-row statement over unnest() arrays), their tags in bulk, and the
 * job's cursor and counters. The cursor commits with the rows, so a crash
 * either keeps both or neither, and a restarted job skips exactly the records
 * already done. The job row is locked first: a cancelled job stops here, and
 * two workers on one job (a stale lock taken over) never write a record twice.
 */
import type { Knex } from 'knex';
import type { FailedBookmarkDetail } from './models';
import type { ImportRecord, RecordFailure } from './records';

export const MAX_STORED_FAILURES = 1000;

export interface Batch {
  readonly jobId: number;
  readonly ownerId: number;
  readonly mode: 'skip' | 'overwrite';
  /** Records [startIndex, endIndex) of the file. */
  readonly startIndex: number;
  readonly endIndex: number;
  readonly items: readonly ImportRecord[];
  /** Indexes of records whose URL appeared earlier in the file. */
  readonly duplicates: readonly number[];
  readonly failures: readonly RecordFailure[];
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

/** Tag name → id for one owner, filled only with committed rows. */
export type TagCache = Map<string, number>;

export async function writeBatch(
  knex: Knex,
  batch: Batch,
  tagCache: TagCache,
): Promise<BatchResult> {
  const newTags = new Map<string, number>();
  const result = await knex.transaction(async (trx): Promise<BatchResult> => {
    const job = await trx('import_jobs')
      .where('id', batch.jobId)
      .forUpdate()
      .first<{ status: string; resume_cursor: number; failed_bookmarks: number } | undefined>(
        'status',
        'resume_cursor',
        'failed_bookmarks',
      );
    if (job?.status !== 'processing') return { kind: 'stopped', status: job?.status ?? 'gone' };
    const cursor = job.resume_cursor;
    if (cursor >= batch.endIndex) return { kind: 'behind' };
    if (cursor < batch.startIndex) {
      throw new Error(
        `import ${batch.jobId}: cursor ${cursor} is before batch ${batch.startIndex}`,
      );
    }
    const todo = batch.items.filter((r) => r.index >= cursor);
    const failures = batch.failures.filter((f) => f.index >= cursor);
    const duplicates = batch.duplicates.filter((i) => i >= cursor).length;

    const updated =
      batch.mode === 'overwrite' ? await updateExisting(trx, batch.ownerId, todo) : new Map();
    const fresh = todo.filter((r) => !updated.has(r.hash));
    const created = await insertNew(trx, batch.ownerId, fresh);
    const written = [...created, ...updated].map(([hash, id]) => ({ id, hash }));
    const tags = await linkTags(trx, batch.ownerId, todo, written, [...updated.values()], {
      cache: tagCache,
      fresh: newTags,
    });

    const room = Math.max(0, MAX_STORED_FAILURES - job.failed_bookmarks);
    const details: FailedBookmarkDetail[] = failures.slice(0, room).map((f) => ({ ...f }));
    const skipped = todo.length - created.size - updated.size + duplicates;
    await trx('import_jobs')
      .where('id', batch.jobId)
      .update({
        resume_cursor: batch.endIndex,
        processed_bookmarks: batch.endIndex,
        total_bookmarks: trx.raw('greatest(total_bookmarks, ?)', [batch.endIndex]),
        created_bookmarks: trx.raw('created_bookmarks + ?', [created.size]),
        updated_bookmarks: trx.raw('updated_bookmarks + ?', [updated.size]),
        skipped_bookmarks: trx.raw('skipped_bookmarks + ?', [skipped]),
        failed_bookmarks: trx.raw('failed_bookmarks + ?', [failures.length]),
        failed_bookmark_details:
          details.length > 0
            ? trx.raw('failed_bookmark_details || ?::jsonb', [JSON.stringify(details)])
            : trx.raw('failed_bookmark_details'),
        updated_at: trx.fn.now(),
      });
    return {
      kind: 'written',
      created: created.size,
      updated: updated.size,
      skipped,
      failed: failures.length,
      tagsCreated: tags.created,
      tagLinks: tags.links,
    };
  });
  // Only committed ids may be remembered: a rolled-back tag row does not exist.
  for (const [name, id] of newTags) tagCache.set(name, id);
  return result;
}

function columns(records: readonly ImportRecord[]): Knex.Value[] {
  // pg turns JS arrays (nulls included) into PostgreSQL arrays.
  return [
    records.map((r) => r.url),
    records.map((r) => r.hash),
    records.map((r) => r.title),
    records.map((r) => r.description),
    records.map((r) => r.private),
    records.map((r) => r.feedUrl),
    records.map((r) => r.createdAt?.toISOString() ?? null),
    records.map((r) => r.updatedAt?.toISOString() ?? null),
  ] as Knex.Value[];
}

const INPUT = `unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::boolean[], ?::text[],
  ?::timestamptz[], ?::timestamptz[])
  AS i(url, hash, title, description, private, feed_url, created_at, updated_at)`;

/** Inserts the records the owner does not have yet; answers hash → id of the new rows. */
async function insertNew(
  trx: Knex.Transaction,
  ownerId: number,
  records: readonly ImportRecord[],
): Promise<Map<string, number>> {
  if (records.length === 0) return new Map();
  const { rows } = await trx.raw<{ rows: Array<{ id: number; unique_hash: string }> }>(
    `INSERT INTO bookmarks
       (owner_id, url, unique_hash, title, description, private, feed_url, created_at, updated_at)
     SELECT ?, i.url, i.hash, i.title, i.description, i.private, i.feed_url,
            coalesce(i.created_at, now()), coalesce(i.updated_at, i.created_at, now())
       FROM ${INPUT}
     ON CONFLICT (owner_id, unique_hash) DO NOTHING
     RETURNING id, unique_hash`,
    [ownerId, ...columns(records)],
  );
  return new Map(rows.map((row) => [row.unique_hash, row.id]));
}

/**
 * Overwrite mode: the file's version replaces the owner's, except that an
 * empty title or description, a missing date or feed keeps what is there.
 */
async function updateExisting(
  trx: Knex.Transaction,
  ownerId: number,
  records: readonly ImportRecord[],
): Promise<Map<string, number>> {
  if (records.length === 0) return new Map();
  const { rows } = await trx.raw<{ rows: Array<{ id: number; unique_hash: string }> }>(
    `UPDATE bookmarks AS b SET
        url = i.url,
        title = CASE WHEN i.title = '' THEN b.title ELSE i.title END,
        description = CASE WHEN i.description = '' THEN b.description ELSE i.description END,
        private = i.private,
        feed_url = coalesce(i.feed_url, b.feed_url),
        created_at = coalesce(i.created_at, b.created_at),
        updated_at = coalesce(i.updated_at, now())
       FROM ${INPUT}
      WHERE b.owner_id = ? AND b.unique_hash = i.hash
     RETURNING b.id, b.unique_hash`,
    [...columns(records), ownerId],
  );
  return new Map(rows.map((row) => [row.unique_hash, row.id]));
}

/**
 * Creates the owner's missing tags and links the written bookmarks to theirs.
 * Overwritten bookmarks that come with tags lose their old ones.
 */
async function linkTags(
  trx: Knex.Transaction,
  ownerId: number,
  records: readonly ImportRecord[],
  written: ReadonlyArray<{ id: number; hash: string }>,
  overwrittenIds: readonly number[],
  tags: { cache: TagCache; fresh: TagCache },
): Promise<{ created: number; links: number }> {
  const idByHash = new Map(written.map((w) => [w.hash, w.id]));
  const pairs: Array<[number, string]> = [];
  for (const record of records) {
    const id = idByHash.get(record.hash);
    if (id === undefined) continue;
    for (const name of record.tags) pairs.push([id, name]);
  }
  const retagged = new Set(pairs.map(([id]) => id));
  const clear = overwrittenIds.filter((id) => retagged.has(id));
  if (clear.length > 0) {
    await trx.raw('DELETE FROM bookmark_tags WHERE bookmark_id = ANY(?::bigint[])', [clear]);
  }
  if (pairs.length === 0) return { created: 0, links: 0 };

  const missing = [...new Set(pairs.map(([, name]) => name))]
    .filter((name) => !tags.cache.has(name))
    .sort(); // one order for every writer: no deadlock between two imports of one owner
  let created = 0;
  if (missing.length > 0) {
    const inserted = await trx.raw<{ rows: Array<{ id: number; name: string }> }>(
      `INSERT INTO tags (owner_id, name) SELECT ?, unnest(?::text[])
       ON CONFLICT (owner_id, name) DO NOTHING RETURNING id, name`,
      [ownerId, missing],
    );
    created = inserted.rows.length;
    const found = await trx.raw<{ rows: Array<{ id: number; name: string }> }>(
      'SELECT id, name FROM tags WHERE owner_id = ? AND name = ANY(?::text[])',
      [ownerId, missing],
    );
    for (const row of found.rows) tags.fresh.set(row.name, row.id);
  }
  const tagId = (name: string) => tags.cache.get(name) ?? tags.fresh.get(name);
  const bookmarkIds: number[] = [];
  const tagIds: number[] = [];
  for (const [id, name] of pairs) {
    const tag = tagId(name);
    if (tag === undefined) continue; // deleted meanwhile: nothing to link
    bookmarkIds.push(id);
    tagIds.push(tag);
  }
  await trx.raw(
    `INSERT INTO bookmark_tags (bookmark_id, tag_id)
     SELECT * FROM unnest(?::bigint[], ?::bigint[]) ON CONFLICT DO NOTHING`,
    [bookmarkIds, tagIds],
  );
  return { created, links: bookmarkIds.length };
}
