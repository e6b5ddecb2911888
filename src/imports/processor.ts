/**
 * Works through one import job: detect the format, read the file record by
 * record, and write it batch by batch on a connection of its own, one
 * transaction each, cursor included (writer.ts). The next batch is read
 * while one is being written. Records before the job's cursor were committed
 * by an earlier run: they are read again (to know which URLs the file
 * already had) but never written again.
 */
import type { Knex } from 'knex';
import pg from 'pg';
import {
  adjustImportItemsInFlight,
  type ImportFormat,
  recordBookmarksCreated,
  recordBookmarksUpdated,
  recordImportItems,
} from '../bookmarks/metrics';
import { parseTags } from '../bookmarks/tags';
import { recordModelWrites } from '../db/metrics';
import type { Logger } from '../logging/logger';
import { batchRecords } from './batching';
import { detectFile, ImportFileError } from './detect';
import { endJob, failJob, type JobRow, startJob } from './lifecycle';
import { readRecords } from './parsers';
import { scanFile } from './text';
import { removeUpload } from './uploads';
import { type BatchResult, type BatchTarget, createStagingTable, writeBatch } from './writer';

export interface ProcessDeps {
  readonly knex: Knex;
  /** The database the import's own connection goes to. */
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
    const end = await importFile(job, deps);
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
    const message = fileProblem(error);
    if (message === undefined) throw error;
    await failJob(deps.knex, jobId, message);
  }
}

interface Ended {
  readonly records: number;
  readonly truncated: boolean;
  readonly format: ImportFormat;
}

/** Resolves when every record is committed, or undefined when the job stopped. */
async function importFile(job: JobRow, deps: ProcessDeps): Promise<Ended | undefined> {
  const detected = await detectFile(job.file_path);
  const { format } = detected;
  const { encoding, anchors } = await scanFile(job.file_path, detected);
  const summary = { truncated: false };
  const read = () => readRecords(job.file_path, format, encoding, summary);
  let total = anchors;
  if (format !== 'netscape') {
    // JSON is read once in full first: a syntax error fails the job before anything is written.
    total = 0;
    for await (const group of read()) total += group.length;
  }
  await deps
    .knex('import_jobs')
    .where({ id: job.id, status: 'processing' })
    .update({
      format,
      total_bookmarks: deps.knex.raw('greatest(?, resume_cursor)', [total]),
      updated_at: deps.knex.fn.now(),
    });

  const client = new pg.Client({ connectionString: deps.databaseUrl });
  client.on('error', () => {}); // a dropped connection fails the query that uses it
  const abort = () => void client.end().catch(() => {});
  deps.signal?.addEventListener('abort', abort);
  const target: BatchTarget = {
    jobId: job.id,
    ownerId: job.user_id,
    mode: job.options.duplicate_handling === 'overwrite' ? 'overwrite' : 'skip',
  };
  const counted = { items: 0 };
  let writing: Promise<BatchResult> | undefined;
  /** Waits for the batch being written and counts it; false when the job stopped. */
  const settle = async (): Promise<boolean> => {
    const result = await writing;
    writing = undefined;
    if (result?.kind === 'stopped') return false;
    if (result) counted.items += countBatch(job.user_id, format, result);
    return true;
  };
  try {
    await client.connect();
    await createStagingTable(client);
    const batches = batchRecords(read(), {
      cursor: job.resume_cursor,
      batchSize: deps.batchSize,
      record: {
        extraTags: parseTags(job.options.tags ?? []),
        forcePrivate: job.options.private === true,
      },
    });
    let records = job.resume_cursor;
    // Reading the next batch overlaps with writing this one.
    for await (const batch of batches) {
      if (!(await settle())) return undefined;
      writing = writeBatch(client, target, batch);
      writing.catch(() => {}); // awaited by settle()
      records = batch.endIndex;
    }
    if (!(await settle())) return undefined;
    return { records, truncated: summary.truncated, format };
  } finally {
    // A batch committed before a failure elsewhere still counts.
    await settle().catch(() => {});
    deps.signal?.removeEventListener('abort', abort);
    await client.end().catch(() => {});
    // Before the job's end is visible: whoever sees it completed sees the gauge back.
    adjustImportItemsInFlight(-counted.items);
  }
}

function fileProblem(error: unknown): string | undefined {
  if (error instanceof ImportFileError) return error.message;
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return 'The uploaded file is no longer there: upload it again.';
  }
  return undefined;
}

/** Called once the batch has committed; answers how many records it counted. */
function countBatch(userId: number, format: ImportFormat, result: BatchResult): number {
  if (result.kind !== 'written') return 0;
  recordImportItems(format, 'created', result.created);
  recordImportItems(format, 'updated', result.updated);
  recordImportItems(format, 'skipped', result.skipped);
  recordImportItems(format, 'failed', result.failed);
  if (result.created > 0) recordBookmarksCreated(userId, 'import', result.created);
  if (result.updated > 0) recordBookmarksUpdated(userId, 'import_overwrite', result.updated);
  recordModelWrites('bookmark', 'insert', result.created);
  recordModelWrites('bookmark', 'update', result.updated);
  recordModelWrites('tag', 'insert', result.tagsCreated);
  const items = result.created + result.updated + result.skipped + result.failed;
  adjustImportItemsInFlight(items);
  return items;
}
