/**
 * Starts an import's thread (import-thread.ts) and turns its messages into
 * calls. Why a thread: parsing runs on another core than this event loop,
 * and the garbage of parsing and of the pg messages stays in a small heap of
 * its own (resourceLimits), collected often. In the main thread, a long
 * import grows V8's young generation to its full size (over 100 MB) and lets
 * the pg message buffers pile up between collections. The thread does not
 * inherit --require: no telemetry there, it only reads a file and writes rows.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ImportFileError } from './detect';
import type { FromThread, ThreadJob } from './thread-protocol';
import type { BatchResult } from './writer';

export interface ImportThreadEvents {
  ready(info: { encoding: string; total: number }): Promise<void>;
  batch(result: BatchResult): void;
}

/** Resolves when every record is committed (or the job stopped); rejects on failure. */
export function runImportThread(
  job: ThreadJob,
  events: ImportThreadEvents,
  signal?: AbortSignal,
): Promise<{ records: number; truncated: boolean } | undefined> {
  const worker = new Worker(path.join(__dirname, 'import-thread.js'), {
    workerData: job,
    execArgv: [],
    // A 16 MB young generation: the parser's short-lived strings die young,
    // and at 4 MB the scavenges took a fifth of the import's CPU. Measured with
    // npm run bench:import: 11.5k → 12.6k bookmarks/s (medians of 6 and 4
    // runs), peak RSS ~235 MB of the 256 MB budget. The old generation stays capped.
    resourceLimits: { maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 128 },
    stdout: false,
    stderr: false,
  });
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | undefined, value?: { records: number; truncated: boolean }) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', abort);
      // Terminating mid-transaction closes its connection: PostgreSQL rolls it back.
      void worker.terminate().then(() => (error ? reject(error) : resolve(value)));
    };
    const abort = () => finish(new Error('aborted'));
    signal?.addEventListener('abort', abort);
    // Messages are handled in order: `ready` (which writes the job row) before any batch.
    let chain = Promise.resolve();
    worker.on('message', (message: FromThread) => {
      chain = chain.then(async () => {
        if (settled) return;
        if (message.type === 'ready') await events.ready(message);
        else if (message.type === 'batch') events.batch(message.result);
        else if (message.type === 'stopped') finish(undefined, undefined);
        else if (message.type === 'end') finish(undefined, message);
        else
          finish(message.file ? new ImportFileError(message.message) : new Error(message.message));
      });
      chain.catch((error: Error) => finish(error));
    });
    // After the messages it sent: a thread that ends right after `end` has still ended well.
    worker.on('error', (error: Error & { code?: string }) => {
      chain = chain.then(() =>
        finish(
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new ImportFileError('The file holds too many records to import in one go: split it.')
            : error,
        ),
      );
    });
    worker.on('exit', () => {
      chain = chain.then(() => finish(new Error('the import thread stopped unexpectedly')));
    });
  });
}
