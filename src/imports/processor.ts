/**
 * Works through one import job: the import thread (import-thread.ts) reads
 * and writes the file; this side keeps the job's status and ends the job once
 * every record is committed.
 *
 * Why a thread: its heap is capped (resourceLimits) and collected on its
 * own. Run in the worker's main thread, an import grew V8's young generation
 * to 128 MB and the worker to 289 MB, over its 256 MB budget; in the thread
 * the same import adds about 60 MB (npm run bench:import, docs/imports.md).
 * Parsing, and the cost of hostile markup, also stay off the event loop that
 * runs the worker's other jobs.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Knex } from 'knex';
import type { Logger } from '../logging/logger';
import { removeUpload } from '../uploads/files';
import { ImportFileError } from './detect';
import type { Ended, FromThread, ThreadInput } from './import-thread';
import { endJob, failJob, startJob } from './lifecycle';

interface ProcessDeps {
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
    const input = { job, databaseUrl: deps.databaseUrl, batchSize: deps.batchSize };
    const end = await runImportThread(input, deps.signal);
    if (!end) {
      // Stopped: cancelled (then the upload goes) or ended by another worker.
      const now = await deps.knex('import_jobs').where('id', jobId).first('status');
      log.info({ status: now?.status }, 'import stopped');
      if (now?.status === 'cancelled') await removeUpload(job.file_path);
      return;
    }
    const status = await endJob(deps.knex, job.id, end);
    log.info({ status, records: end.records, format: end.format }, 'import ended');
  } catch (error) {
    if (deps.signal?.aborted) throw new ImportInterrupted();
    if (!(error instanceof ImportFileError)) throw error;
    await failJob(deps.knex, jobId, error.message);
  }
}

/** Resolves when the thread has ended (every record committed, or the job stopped). */
function runImportThread(input: ThreadInput, signal?: AbortSignal): Promise<Ended | undefined> {
  const worker = new Worker(path.join(__dirname, 'import-thread.js'), {
    workerData: input,
    execArgv: [],
    // A 16 MB young generation: the parser's short-lived strings die young
    // without costly promotion; the old generation stays small.
    resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 128 },
    stdout: false,
    stderr: false,
  });
  let abort = () => {};
  return new Promise<Ended | undefined>((resolve, reject) => {
    abort = () => reject(new Error('aborted'));
    signal?.addEventListener('abort', abort);
    worker.on('message', (message: FromThread) => {
      if (message.type === 'end') resolve(message.end);
      else reject(message.file ? new ImportFileError(message.message) : new Error(message.message));
    });
    worker.on('error', (error: Error & { code?: string }) => {
      reject(
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new ImportFileError('The file holds too many records to import in one go: split it.')
          : error,
      );
    });
    worker.on('exit', () => reject(new Error('the import thread stopped unexpectedly')));
  }).finally(async () => {
    signal?.removeEventListener('abort', abort);
    // A thread stopped mid-transaction closes its connection: PostgreSQL rolls it back.
    await worker.terminate();
  });
}
