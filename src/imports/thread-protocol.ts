/** Messages between the import processor (main thread) and its import thread. */
import type { Detected } from './detect';
import type { RecordOptions } from './records';
import type { BatchResult } from './writer';

export interface ThreadJob {
  readonly jobId: number;
  readonly ownerId: number;
  readonly mode: 'skip' | 'overwrite';
  readonly file: string;
  readonly detected: Detected;
  readonly cursor: number;
  readonly batchSize: number;
  readonly record: RecordOptions;
  readonly databaseUrl: string;
}

export type FromThread =
  /** The file is readable: its encoding and (estimated, for HTML) record count. */
  | { type: 'ready'; encoding: string; total: number }
  /** One batch's transaction has ended (committed when written), in file order. */
  | { type: 'batch'; result: BatchResult }
  /** The job stopped (cancelled, or ended elsewhere): nothing more will be written. */
  | { type: 'stopped' }
  /** Every record is committed. */
  | { type: 'end'; records: number; truncated: boolean }
  | { type: 'error'; file: boolean; message: string };
