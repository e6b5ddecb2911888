/**
 * The heavy part of an import, in a worker thread with a small heap of its
 * own (see thread-client.ts): read and check the file, and write it batch by
 * batch on a connection of its own. The next batches are parsed while one is
 * being written. The main thread is told about each committed batch (it keeps
 * the metrics) and decides how the job ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import pg from 'pg';
import { bookmarkWriteSessionOptions } from '../metrics/write-context';
import { batchRecords } from './batching';
import type { PreparedBatch } from './columns';
import { ImportFileError } from './detect';
import { canCheckKeysSetWise } from './keys';
import { readRecords } from './parsers';
import { scanFile } from './text';
import type { FromThread, ThreadJob } from './thread-protocol';
import { type BatchKind, type BatchResult, writeBatch } from './writer';

const job = workerData as ThreadJob;
const post = (message: FromThread) => parentPort!.postMessage(message);

/** How many parsed batches may wait for the database (two more are being written). */
const AHEAD = 2;

async function run(): Promise<void> {
  const scan = await scanFile(job.file, job.detected);
  const summary = { truncated: false };
  let total = scan.anchors;
  if (job.detected.format !== 'netscape') {
    // JSON is read once in full first: a syntax error fails the job before anything is written.
    total = 0;
    for await (const group of readRecords(job.file, job.detected.format, scan.encoding, summary)) {
      total += group.length;
    }
  }
  post({ type: 'ready', encoding: scan.encoding, total });

  const clients = [await connect(), await connect()];
  const setWiseKeys = await canCheckKeysSetWise(clients[0]!);
  const inFlight: Array<{ parsed: PreparedBatch; result: Promise<BatchResult> }> = [];
  try {
    /** Tag names known to exist for the owner (committed). */
    const knownTags = new Set<string>();
    const batches = ahead(
      batchRecords(readRecords(job.file, job.detected.format, scan.encoding, summary), {
        cursor: job.cursor,
        batchSize: job.batchSize,
        record: job.record,
        knownTags,
      }),
      AHEAD,
    );
    let previous: Promise<BatchKind> = Promise.resolve('written');
    let records = job.cursor;
    /** Reports the oldest batch; false when the job stopped. */
    const settle = async (): Promise<boolean> => {
      const { parsed, result } = inFlight.shift()!;
      const outcome = await result;
      post({ type: 'batch', result: outcome });
      if (outcome.kind !== 'written' && outcome.kind !== 'behind') return false;
      records = parsed.endIndex;
      return true;
    };
    let next = 0;
    let going = true;
    for await (const parsed of batches.items) {
      if (inFlight.length >= clients.length) going = await settle();
      if (!going) break;
      const result = writeBatch(
        clients[next++ % clients.length]!,
        { jobId: job.jobId, ownerId: job.ownerId, mode: job.mode, parsed, setWiseKeys },
        previous,
        knownTags,
      );
      result.catch(() => {}); // settled in order by settle()
      previous = result.then(
        (outcome) => outcome.kind,
        () => 'failed' as const,
      );
      inFlight.push({ parsed, result });
    }
    while (inFlight.length > 0) going = (await settle()) && going;
    if (!going) {
      post({ type: 'stopped' });
      return;
    }
    post({
      type: 'end',
      records: Math.max(records, await batches.count),
      truncated: summary.truncated,
    });
  } finally {
    // Batches still in flight roll back (their predecessor did not commit).
    await Promise.allSettled(inFlight.map((f) => f.result));
    await Promise.all(clients.map((client) => client.end().catch(() => {})));
  }
}

const IMPORT_WRITES = bookmarkWriteSessionOptions({
  source: 'import',
  operation: 'import_overwrite',
});

async function connect(): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: job.databaseUrl,
    // A batch waits in this thread for the one before it to commit, a wait
    // PostgreSQL cannot see: two imports of one owner crossing on the same
    // URLs could wait on each other for ever. A lock wait this long fails the
    // batch instead, and the job is retried from its cursor. The bookmarks it
    // writes are counted by the database as imported (src/metrics/write-context.ts).
    options: `-c lock_timeout=60000 ${IMPORT_WRITES}`,
  });
  client.on('error', () => {}); // a dropped connection fails the query that uses it
  await client.connect();
  return client;
}

/**
 * Runs the batch generator up to `size` batches ahead of the consumer, so
 * parsing goes on while the consumer waits for the database.
 */
function ahead(source: AsyncGenerator<PreparedBatch, number>, size: number) {
  const queue: PreparedBatch[] = [];
  let done = false;
  let failure: unknown;
  let wakeConsumer: (() => void) | undefined;
  let wakeProducer: (() => void) | undefined;
  const count = (async () => {
    try {
      for (;;) {
        while (queue.length >= size) await new Promise<void>((resolve) => (wakeProducer = resolve));
        const next = await source.next();
        if (next.done) return next.value;
        queue.push(next.value);
        wakeConsumer?.();
      }
    } catch (error) {
      failure = error;
      return 0;
    } finally {
      done = true;
      wakeConsumer?.();
    }
  })();
  async function* items(): AsyncGenerator<PreparedBatch> {
    for (;;) {
      const item = queue.shift();
      if (item) {
        wakeProducer?.();
        yield item;
        continue;
      }
      if (failure !== undefined) throw failure;
      if (done) return;
      await new Promise<void>((resolve) => (wakeConsumer = resolve));
    }
  }
  return { items: items(), count };
}

run().catch((error: unknown) => {
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
});
