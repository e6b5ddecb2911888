/**
 * Works through one import job: detect the format, then hand the file to the
 * import thread (thread-client.ts), which parses it and writes it batch by
 * batch, one transaction each, cursor included. This side keeps the job's
 * status: the job ends here once every record is committed. (The database
 * counts the records, from the job's counters that each batch commits.) Records
 * before the job's cursor were committed by an earlier run: the thread
 * re-reads them (to know which URLs the file already had) but never writes
 * them again.
 */
import type { Knex } from 'knex';
import { parseTags } from '../bookmarks/tags';
import type { Logger } from '../logging/logger';
import { type Detected, detectFile, type FileFormat, ImportFileError } from './detect';
import { endJob, failJob, type JobRow, startJob } from './lifecycle';
import { type ImportThreadEvents, runImportThread } from './thread-client';
import type { ThreadJob } from './thread-protocol';
import { removeUpload } from './uploads';

export interface ProcessDeps {
  readonly knex: Knex;
  /** The database the import thread connects to. */
  readonly databaseUrl: string;
  readonly logger: Logger;
  readonly batchSize: number;
  /** Aborted when the worker shuts down: the job stops and resumes later. */
  readonly signal?: AbortSignal;
}

/** Raised when the worker is stopping mid-import; the job is retried and resumes. */
export class ImportInterrupted extends Error {
  constructor() {
    super('The worker is shutting down: the import resumes where it stopped.');
    this.name = 'ImportInterrupted';
  }
}

export async function processImport(jobId: number, deps: ProcessDeps): Promise<void> {
  const job = await startJob(deps.knex, jobId);
  if (!job) return;
  if (job.status === 'completed' || job.status === 'cancelled') {
    await removeUpload(job.file_path);
    return;
  }
  if (job.status !== 'processing') return;
  const log = deps.logger.child({ importJobId: job.id });
  if (job.resume_cursor > 0) log.info({ cursor: job.resume_cursor }, 'resuming import');
  try {
    const detected = await detectFile(job.file_path);
    const end = await runImportThread(
      threadJob(job, detected, deps),
      threadEvents(job, detected.format, deps),
      deps.signal,
    );
    if (!end) {
      // Stopped: cancelled (then the upload goes) or ended by another worker.
      const now = await deps.knex('import_jobs').where('id', jobId).first('status');
      log.info({ status: now?.status }, 'import stopped');
      if (now?.status === 'cancelled') await removeUpload(job.file_path);
      return;
    }
    const status = await endJob(deps.knex, job.id, end);
    log.info({ status, records: end.records, format: detected.format }, 'import ended');
  } catch (error) {
    if (deps.signal?.aborted) throw new ImportInterrupted();
    const message = fileProblem(error);
    if (message === undefined) throw error;
    await failJob(deps.knex, jobId, message);
  }
}

function threadJob(job: JobRow, detected: Detected, deps: ProcessDeps): ThreadJob {
  return {
    jobId: job.id,
    ownerId: job.user_id,
    mode: job.options.duplicate_handling === 'overwrite' ? 'overwrite' : 'skip',
    file: job.file_path,
    detected,
    cursor: job.resume_cursor,
    batchSize: deps.batchSize,
    record: {
      extraTags: parseTags(job.options.tags ?? []),
      forcePrivate: job.options.private === true,
    },
    databaseUrl: deps.databaseUrl,
  };
}

/** The job row learns its format and size. */
function threadEvents(job: JobRow, format: FileFormat, deps: ProcessDeps): ImportThreadEvents {
  return {
    async ready({ total }) {
      await deps
        .knex('import_jobs')
        .where({ id: job.id, status: 'processing' })
        .update({
          format,
          total_bookmarks: deps.knex.raw('greatest(?, resume_cursor)', [total]),
          updated_at: deps.knex.fn.now(),
        });
    },
    // Committed batches are counted by the database (src/metrics/catalog.ts).
    batch() {},
  };
}

function fileProblem(error: unknown): string | undefined {
  if (error instanceof ImportFileError) return error.message;
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return 'The uploaded file is no longer there: upload it again.';
  }
  return undefined;
}
