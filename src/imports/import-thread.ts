/**
 * The import thread (started by processor.ts, which says why a thread): reads,
 * checks and writes one job's file on a database connection of its own,
 * batch by batch (writer.ts); the next batch is read while one is written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import type { ImportFormat } from '../bookmarks/metrics';
import { parseTags } from '../bookmarks/tags';
import { bookmarkWriteSessionOptions } from '../metrics/write-context';
import { batchRecords } from './batching';
import { detectFile, ImportFileError } from './detect';
import type { JobRow } from './lifecycle';
import { readRecords } from './parsers';
import { scanFile } from './text';
import { type BatchResult, createStagingTable, writeBatch } from './writer';

export interface ThreadInput {
  readonly job: JobRow;
  readonly databaseUrl: string;
  readonly batchSize: number;
}

/** Every record committed. */
export interface Ended {
  readonly records: number;
  readonly truncated: boolean;
  readonly format: ImportFormat;
}

/** The end is undefined when the job stopped (cancelled, or taken on by another worker). */
export type FromThread =
  | { type: 'end'; end: Ended | undefined }
  | { type: 'error'; file: boolean; message: string };

async function importFile({
  job,
  databaseUrl,
  batchSize,
}: ThreadInput): Promise<Ended | undefined> {
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
  // The bookmarks this connection writes are counted by the database as
  // imported (src/metrics/write-context.ts): no counting here.
  const client = new pg.Client({ connectionString: databaseUrl, options: IMPORT_WRITES });
  client.on('error', () => {}); // a dropped connection fails the query that uses it
  let writing: Promise<BatchResult> | undefined;
  /** Waits for the batch being written; false when the job stopped. */
  const settle = async (): Promise<boolean> => {
    const result = await writing;
    writing = undefined;
    return result?.kind !== 'stopped';
  };
  try {
    await client.connect();
    await client.query(
      `UPDATE import_jobs SET format = $2, total_bookmarks = greatest($3, resume_cursor),
         updated_at = now() WHERE id = $1 AND status = 'processing'`,
      [job.id, format, total],
    );
    await createStagingTable(client);
    const target = {
      jobId: job.id,
      ownerId: job.user_id,
      mode: job.options.duplicate_handling === 'overwrite' ? 'overwrite' : 'skip',
    } as const;
    const batches = batchRecords(read(), {
      cursor: job.resume_cursor,
      batchSize,
      record: {
        extraTags: parseTags(job.options.tags ?? []),
        forcePrivate: job.options.private === true,
      },
    });
    let records = job.resume_cursor;
    for await (const batch of batches) {
      if (!(await settle())) return undefined;
      writing = writeBatch(client, target, batch);
      writing.catch(() => {}); // awaited by settle()
      records = batch.endIndex;
    }
    if (!(await settle())) return undefined;
    return { records, truncated: summary.truncated, format };
  } finally {
    // A batch committed before a failure elsewhere stays committed, cursor included.
    await settle().catch(() => {});
    await client.end().catch(() => {});
  }
}

const IMPORT_WRITES = bookmarkWriteSessionOptions({
  source: 'import',
  operation: 'import_overwrite',
});

if (parentPort && workerData) {
  const port = parentPort;
  const post = (message: FromThread) => port.postMessage(message);
  importFile(workerData as ThreadInput).then(
    (end) => post({ type: 'end', end }),
    (error: unknown) => {
      const missing = (error as NodeJS.ErrnoException)?.code === 'ENOENT';
      post({
        type: 'error',
        file: error instanceof ImportFileError || missing,
        message: missing
          ? 'The uploaded file is no longer there: upload it again.'
          : error instanceof Error
            ? error.message
            : String(error),
      });
    },
  );
}
