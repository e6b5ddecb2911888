/**
 * The import job's status changes. Each terminal change is one guarded
 * UPDATE (only from a live status), so whichever process makes it — the
 * worker finishing, or a person cancelling — is the one that records it,
 * exactly once, after commit. (bookmark_imports_total is counted by the
 * database, a trigger on the status; the duration is recorded here.)
 */
import type { Knex } from 'knex';
import { recordImportDuration } from '../bookmarks/metrics';
import type { BaseModel } from '../db/base-model';
import { removeUpload } from '../uploads/files';
import type { ImportJob, ImportStatus } from './models';

/** The job as the worker reads it: a plain row (its columns), handed on to the import thread. */
export type JobRow = Omit<ImportJob, keyof BaseModel>;

const ENDED = ['format', 'started_at', 'completed_at', 'file_path'] as const;
type EndedRow = Pick<ImportJob, (typeof ENDED)[number]> & { completed_at: Date };
const LIVE: ImportStatus[] = ['pending', 'processing'];

/** pending → processing; answers the row as it now is (whatever its status). */
export async function startJob(knex: Knex, id: number): Promise<JobRow | undefined> {
  await knex('import_jobs')
    .where({ id, status: 'pending' })
    .update({
      status: 'processing',
      started_at: knex.raw('coalesce(started_at, now())'),
      updated_at: knex.fn.now(),
    });
  return knex('import_jobs').where('id', id).first<JobRow | undefined>();
}

function recordDuration({ format, started_at: start, completed_at: end }: EndedRow): void {
  const seconds = start ? Math.max(0, (end.getTime() - start.getTime()) / 1000) : 0;
  const known = format === 'netscape' || format === 'pinboard' || format === 'activitystreams';
  recordImportDuration(known ? format : 'unknown', seconds);
}

/** A live job ends with `changes`; undefined when it was not live any more. */
async function endLiveJob(knex: Knex, id: number, changes: Record<string, unknown>) {
  const [row] = await knex('import_jobs')
    .where('id', id)
    .whereIn('status', LIVE)
    .update({ ...changes, completed_at: knex.fn.now(), updated_at: knex.fn.now() })
    .returning<EndedRow[]>(ENDED);
  if (row) recordDuration(row);
  return row;
}

/** A live job fails with `message` (shown to its owner). The upload is kept for a retry. */
export async function failJob(knex: Knex, id: number, message: string): Promise<boolean> {
  const row = await endLiveJob(knex, id, {
    status: 'failed',
    error_message: message.slice(0, 2000),
  });
  return row !== undefined;
}

/** A person cancels a live job: a running worker stops at its next batch. */
export async function cancelJob(knex: Knex, id: number): Promise<boolean> {
  const row = await endLiveJob(knex, id, { status: 'cancelled' });
  if (row) await removeUpload(row.file_path);
  return row !== undefined;
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
    let status: 'completed' | 'failed' = 'failed';
    let message: string | null = 'No bookmarks were found in the file.';
    if (outcome.records > 0 && usable === 0) {
      message = `None of the ${outcome.records} records in the file could be imported: see the errors below.`;
    } else if (outcome.records > 0) {
      status = 'completed';
      message = outcome.truncated
        ? 'The file seems cut short (it ends inside a list): everything before the cut was imported.'
        : null;
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
      .returning<EndedRow[]>(ENDED);
    return { status, row: row! };
  });
  if (!ended) return undefined;
  recordDuration(ended.row);
  if (ended.status === 'completed') await removeUpload(ended.row.file_path);
  return ended.status;
}
