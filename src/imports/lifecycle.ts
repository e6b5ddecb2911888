/**
 * The import job's status changes. Each terminal change is one guarded
 * UPDATE (only from a live status), so whichever process makes it — the
 * worker finishing, or a person cancelling — is the one that counts it in
 * bookmark_imports_total, exactly once, after commit.
 */
import type { Knex } from 'knex';
import { type ImportFormat, recordImportDuration } from '../bookmarks/metrics';
import type { ImportStatus } from './models';
import { removeUpload } from './uploads';

export interface JobRow {
  id: number;
  user_id: number;
  file_path: string;
  format: string | null;
  status: ImportStatus;
  total_bookmarks: number;
  resume_cursor: number;
  created_bookmarks: number;
  updated_bookmarks: number;
  skipped_bookmarks: number;
  failed_bookmarks: number;
  options: { duplicate_handling?: 'skip' | 'overwrite'; tags?: string[]; private?: boolean };
  started_at: Date | null;
}

const LIVE: ImportStatus[] = ['pending', 'processing'];

async function loadJob(knex: Knex, id: number): Promise<JobRow | undefined> {
  return knex('import_jobs').where('id', id).first<JobRow | undefined>();
}

/** pending → processing; answers the row as it now is (whatever its status). */
export async function startJob(knex: Knex, id: number): Promise<JobRow | undefined> {
  await knex('import_jobs')
    .where({ id, status: 'pending' })
    .update({
      status: 'processing',
      started_at: knex.raw('coalesce(started_at, now())'),
      updated_at: knex.fn.now(),
    });
  return loadJob(knex, id);
}

function formatLabel(format: string | null): ImportFormat {
  return format === 'netscape' || format === 'pinboard' || format === 'activitystreams'
    ? format
    : 'unknown';
}

interface Ended {
  user_id: number;
  format: string | null;
  started_at: Date | null;
  completed_at: Date;
  file_path: string;
}

const ENDED = ['user_id', 'format', 'started_at', 'completed_at', 'file_path'];

/**
 * Called by whoever made the job end, once it committed. The end itself is
 * counted by the database (bookmark_imports_total, a trigger on the status).
 */
function recordEnded(row: Ended): void {
  const { started_at: start, completed_at: end } = row;
  const seconds = start ? Math.max(0, (end.getTime() - start.getTime()) / 1000) : 0;
  recordImportDuration(formatLabel(row.format), seconds);
}

/** A live job fails with `message` (shown to its owner). The upload is kept for a retry. */
export async function failJob(knex: Knex, id: number, message: string): Promise<boolean> {
  const rows: Ended[] = await knex('import_jobs')
    .where('id', id)
    .whereIn('status', LIVE)
    .update({
      status: 'failed',
      error_message: message.slice(0, 2000),
      completed_at: knex.fn.now(),
      updated_at: knex.fn.now(),
    })
    .returning(ENDED);
  for (const row of rows) recordEnded(row);
  return rows.length > 0;
}

/**
 * A processing job ends (completed, or failed when nothing in the file was
 * usable), in a transaction that first checks every record is committed.
 */
export async function endJob(
  knex: Knex,
  id: number,
  outcome: { records: number; truncated: boolean },
): Promise<ImportStatus | undefined> {
  const ended = await knex.transaction(async (trx) => {
    const job = await trx('import_jobs').where('id', id).forUpdate().first<JobRow | undefined>();
    if (job?.status !== 'processing') return undefined;
    if (job.resume_cursor !== outcome.records) {
      throw new Error(
        `import ${id}: ${job.resume_cursor} of ${outcome.records} records committed at the end`,
      );
    }
    const usable = job.created_bookmarks + job.updated_bookmarks + job.skipped_bookmarks;
    let status: 'completed' | 'failed' = 'completed';
    let message: string | null = outcome.truncated
      ? 'The file seems cut short (it ends inside a list): everything before the cut was imported.'
      : null;
    if (outcome.records === 0) {
      status = 'failed';
      message = 'No bookmarks were found in the file.';
    } else if (usable === 0) {
      status = 'failed';
      message = `None of the ${outcome.records} records in the file could be imported: see the errors below.`;
    }
    const [row] = await trx('import_jobs')
      .where('id', id)
      .update({
        status,
        error_message: message,
        total_bookmarks: outcome.records,
        processed_bookmarks: outcome.records,
        completed_at: trx.fn.now(),
        updated_at: trx.fn.now(),
      })
      .returning<Ended[]>(ENDED);
    return { status, row: row! };
  });
  if (!ended) return undefined;
  const { status, row } = ended;
  recordEnded(row);
  if (status === 'completed') await removeUpload(row.file_path);
  return status;
}

/** A person cancels a live job: a running worker stops at its next batch. */
export async function cancelJob(knex: Knex, id: number): Promise<boolean> {
  const rows: Ended[] = await knex('import_jobs')
    .where('id', id)
    .whereIn('status', LIVE)
    .update({ status: 'cancelled', completed_at: knex.fn.now(), updated_at: knex.fn.now() })
    .returning(ENDED);
  const row = rows[0];
  if (!row) return false;
  recordEnded(row);
  await removeUpload(row.file_path);
  return true;
}
