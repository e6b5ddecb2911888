/**
 * Works through one import job: detect the format, count (or estimate) the
 * records, then stream them in batches. Parsing the next batch overlaps with
 * writing the previous one (one write in flight), so the database and the
 * parser run at once. Records before the job's cursor were committed by an
 * earlier run: they are only re-read (to know which URLs the file already
 * had), never written again.
 */
import type { Knex } from 'knex';
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
import { detectFile, type FileFormat, ImportFileError } from './detect';
import { endJob, failJob, type JobRow, startJob } from './lifecycle';
import { type HtmlSummary, readRecords } from './parsers';
import { checkRecord, type RecordOptions } from './records';
import { scanFile } from './text';
import { removeUpload } from './uploads';
import { type Batch, type BatchResult, type TagCache, writeBatch } from './writer';

export interface ProcessDeps {
  readonly knex: Knex;
  readonly logger: Logger;
  readonly batchSize: number;
  /** Aborted when the worker shuts down: the job stops between batches and resumes later. */
  readonly signal?: AbortSignal;
}

/** Raised between batches when the worker is stopping; the job is retried and resumes. */
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

  let format: FileFormat;
  let encoding: string;
  try {
    const detected = await detectFile(job.file_path);
    format = detected.format;
    const scan = await scanFile(job.file_path, detected);
    encoding = scan.encoding;
    const total =
      format === 'netscape' ? scan.anchors : await countRecords(job.file_path, format, encoding);
    await deps
      .knex('import_jobs')
      .where({ id: jobId, status: 'processing' })
      .update({
        format,
        total_bookmarks: deps.knex.raw('greatest(?, resume_cursor)', [total]),
        updated_at: deps.knex.fn.now(),
      });
  } catch (error) {
    const message = fileProblem(error);
    if (message === undefined) throw error;
    await failJob(deps.knex, jobId, message);
    return;
  }
  await importRecords({ ...job, format }, format, encoding, deps);
}

function fileProblem(error: unknown): string | undefined {
  if (error instanceof ImportFileError) return error.message;
  if ((error as NodeJS.ErrnoException)?.code === 'ENOENT') {
    return 'The uploaded file is no longer there: upload it again.';
  }
  return undefined;
}

/** JSON is parsed once in full before anything is written: a syntax error fails the job cleanly. */
async function countRecords(file: string, format: FileFormat, encoding: string): Promise<number> {
  let count = 0;
  for await (const _ of readRecords(file, format, encoding, { truncated: false })) count++;
  return count;
}

async function importRecords(
  job: JobRow,
  format: FileFormat,
  encoding: string,
  deps: ProcessDeps,
): Promise<void> {
  const log = deps.logger.child({ importJobId: job.id, format });
  const options: RecordOptions = {
    extraTags: parseTags(job.options.tags ?? []),
    forcePrivate: job.options.private === true,
  };
  const mode = job.options.duplicate_handling === 'overwrite' ? 'overwrite' : 'skip';
  const cursor = job.resume_cursor;
  if (cursor > 0) log.info({ cursor }, 'resuming import');
  const seen = new Set<string>();
  const tagCache: TagCache = new Map();
  const summary: HtmlSummary = { truncated: false };
  let counted = 0;
  let inFlight: Promise<BatchResult> | undefined;
  let stopped = false;

  const settle = async () => {
    if (!inFlight) return;
    const result = await inFlight;
    inFlight = undefined;
    if (result.kind === 'written') {
      countBatch(job.user_id, format, result);
      counted += result.created + result.updated + result.skipped + result.failed;
    } else if (result.kind === 'stopped') {
      log.info({ status: result.status }, 'import stopped');
      if (result.status === 'cancelled') await removeUpload(job.file_path);
      stopped = true;
    }
  };
  const send = async (batch: Batch) => {
    await settle();
    if (stopped) return;
    if (deps.signal?.aborted) throw new ImportInterrupted();
    inFlight = writeBatch(deps.knex, batch, tagCache);
    inFlight.catch(() => {}); // awaited by the next settle(); not an unhandled rejection meanwhile
  };

  let batch = emptyBatch(job, mode, cursor);
  let records = 0;
  try {
    for await (const raw of readRecords(job.file_path, format, encoding, summary)) {
      records = raw.index + 1;
      const checked = checkRecord(raw, options);
      if (raw.index < cursor) {
        if (checked.ok) seen.add(checked.record.hash);
        continue;
      }
      if (!checked.ok) batch.failures.push(checked.failure);
      else if (seen.has(checked.record.hash)) batch.duplicates.push(raw.index);
      else {
        seen.add(checked.record.hash);
        batch.items.push(checked.record);
      }
      if (raw.index + 1 - batch.startIndex >= deps.batchSize) {
        await send({ ...batch, endIndex: raw.index + 1 });
        if (stopped) return;
        batch = emptyBatch(job, mode, raw.index + 1);
      }
    }
    if (records > batch.startIndex) await send({ ...batch, endIndex: records });
    await settle();
  } catch (error) {
    if (error instanceof ImportFileError) {
      await settle().catch(() => {});
      await failJob(deps.knex, job.id, error.message);
      return;
    }
    throw error;
  } finally {
    await inFlight?.catch(() => {});
    adjustImportItemsInFlight(-counted);
  }
  if (stopped) return;
  const status = await endJob(deps.knex, job.id, { records, truncated: summary.truncated });
  log.info({ status, records }, 'import ended');
}

interface OpenBatch {
  jobId: number;
  ownerId: number;
  mode: 'skip' | 'overwrite';
  startIndex: number;
  items: Batch['items'][number][];
  duplicates: number[];
  failures: Batch['failures'][number][];
}

function emptyBatch(job: JobRow, mode: 'skip' | 'overwrite', startIndex: number): OpenBatch {
  return {
    jobId: job.id,
    ownerId: job.user_id,
    mode,
    startIndex,
    items: [],
    duplicates: [],
    failures: [],
  };
}

/** Called once the batch has committed. */
function countBatch(
  userId: number,
  format: ImportFormat,
  result: BatchResult & { kind: 'written' },
) {
  recordImportItems(format, 'created', result.created);
  recordImportItems(format, 'updated', result.updated);
  recordImportItems(format, 'skipped', result.skipped);
  recordImportItems(format, 'failed', result.failed);
  if (result.created > 0) recordBookmarksCreated(userId, 'import', result.created);
  if (result.updated > 0) recordBookmarksUpdated(userId, 'import_overwrite', result.updated);
  recordModelWrites('bookmark', 'insert', result.created);
  recordModelWrites('bookmark', 'update', result.updated);
  recordModelWrites('tag', 'insert', result.tagsCreated);
  adjustImportItemsInFlight(result.created + result.updated + result.skipped + result.failed);
}
