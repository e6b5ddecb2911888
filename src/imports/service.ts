/**
 * Import jobs as people and API clients see them: create one per upload
 * (row and queued job in one transaction), list, show, retry, cancel.
 */
import type { Knex } from 'knex';
import { parseTags } from '../bookmarks/tags';
import { conflict, notFound } from '../errors';
import { addJob } from '../jobs';
import { removeUpload, uploadExists } from '../uploads/files';
import { cancelJob } from './lifecycle';
import { ImportJob } from './models';
import { canCancelImport, canRetryImport, canSeeImport } from './policies';
import type { ImportOptionsInput } from './schemas';

/** Each run of the task is one attempt; a failed attempt resumes from the cursor. */
const MAX_ATTEMPTS = 5;

const jobKey = (id: number) => `import:${id}`;

function queueImport(trx: Knex.Transaction, id: number) {
  return addJob(
    trx,
    'import_bookmarks',
    { importJobId: id },
    { jobKey: jobKey(id), maxAttempts: MAX_ATTEMPTS },
  );
}

export async function createImportJob(
  knex: Knex,
  input: {
    userId: number;
    upload: { path: string; size: number; filename: string };
    options: ImportOptionsInput;
  },
): Promise<ImportJob> {
  try {
    return await knex.transaction(async (trx) => {
      const job = await ImportJob.query(trx).insertAndFetch({
        user_id: input.userId,
        file_path: input.upload.path,
        original_filename: input.upload.filename.slice(0, 255),
        file_size: input.upload.size,
        status: 'pending',
        options: {
          duplicate_handling: input.options.duplicates,
          tags: parseTags(input.options.tags),
          private: input.options.private,
        },
      });
      await queueImport(trx, job.id);
      return job;
    });
  } catch (error) {
    await removeUpload(input.upload.path);
    throw error;
  }
}

export async function listImportJobs(knex: Knex, userId: number, limit = 20): Promise<ImportJob[]> {
  return ImportJob.query(knex)
    .where('user_id', userId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
}

/** The user's import, or a 404 (also for someone else's). */
export async function getImportJob(knex: Knex, user: { id: number }, id: number) {
  const job = await ImportJob.query(knex).findById(id);
  if (!job || !canSeeImport(user, job)) throw notFound('There is no such import.');
  return job;
}

/** A failed import runs again from where it stopped (its upload was kept). */
export async function retryImportJob(knex: Knex, user: { id: number }, id: number) {
  const job = await getImportJob(knex, user, id);
  if (!canRetryImport(job))
    throw conflict(`Only failed imports can be retried; this one is ${job.status}.`);
  if (!(await uploadExists(job.file_path))) {
    throw conflict('The uploaded file of this import is gone: upload it again.');
  }
  return knex.transaction(async (trx) => {
    const updated = await trx('import_jobs').where({ id, status: 'failed' }).update({
      status: 'pending',
      error_message: null,
      completed_at: null,
      updated_at: trx.fn.now(),
    });
    if (updated === 0) throw conflict('This import changed meanwhile: reload the page.');
    await queueImport(trx, id);
    return (await ImportJob.query(trx).findById(id))!;
  });
}

/** Stops a pending or running import; a running one stops at its next batch. */
export async function cancelImportJob(knex: Knex, user: { id: number }, id: number) {
  const job = await getImportJob(knex, user, id);
  if (!canCancelImport(job) || !(await cancelJob(knex, id))) {
    throw conflict(`Only pending or running imports can be cancelled; this one is ${job.status}.`);
  }
  // A job not yet started need not run at all (a locked one is left to notice).
  await knex.raw('SELECT graphile_worker.remove_job(?)', [jobKey(id)]);
  return (await ImportJob.query(knex).findById(id))!;
}
