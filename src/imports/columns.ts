/**
 * A batch as PostgreSQL arrays, one per column, in PostgreSQL's binary array
 * format (what array_send writes and array_recv reads): pg sends a Buffer as a
 * binary parameter, and the statement declares its type (`$2::text[]`). One
 * parameter per column whatever the batch size; PostgreSQL copies each element
 * as it is, with no quoting to undo and no text dates to parse.
 */
import type { ImportRecord, RecordFailure } from './records';

/** The columns, in the order writer.ts reads them. */
export const COLUMNS = [
  'url',
  'hash',
  'title',
  'description',
  'private',
  'feed_url',
  'created_at',
  'updated_at',
  'pair_hash',
  'pair_tag',
] as const;

export type Columns = Record<(typeof COLUMNS)[number], Buffer>;

/** A batch ready to write: its rows as binary columns, and no record objects. */
export interface PreparedBatch {
  readonly startIndex: number;
  readonly endIndex: number;
  /** Records to write (valid, and not already earlier in the file). */
  readonly itemCount: number;
  /** Records skipped as already earlier in the file. */
  readonly duplicateCount: number;
  readonly failures: readonly RecordFailure[];
  /** Undefined when the batch has nothing to write. */
  readonly columns: Columns | undefined;
  /**
   * The (record hash, tag) pairs whose tag was not known to exist when the
   * batch was built: the writer creates those still unknown.
   */
  readonly newTagPairs: { readonly hashes: readonly string[]; readonly tags: readonly string[] };
}

/**
 * Builds a batch record by record, straight into its columns: a checked
 * record is garbage as soon as it is added. Batches wait for the database
 * while the next ones are parsed; record objects kept that long were promoted
 * to the thread's old generation, which then needed a full collection every
 * quarter of a second (npm run bench:import, --trace-gc).
 */
export class BatchBuilder {
  itemCount = 0;
  duplicateCount = 0;
  readonly failures: RecordFailure[] = [];
  private readonly url: TextColumn;
  private readonly hash: TextColumn;
  private readonly title: TextColumn;
  private readonly description: TextColumn;
  private readonly private = new FixedColumn(BOOL_OID, 5);
  private readonly feedUrl: TextColumn;
  private readonly createdAt = new FixedColumn(TIMESTAMPTZ_OID, 12);
  private readonly updatedAt = new FixedColumn(TIMESTAMPTZ_OID, 12);
  private readonly pairHash: TextColumn;
  private readonly pairTag: TextColumn;
  private readonly newTags = { hashes: [] as string[], tags: [] as string[] };

  /**
   * `known`: tags known to exist (it only grows). `previous`: the batch
   * before, whose sizes the columns start at, so they rarely grow.
   */
  constructor(
    readonly startIndex: number,
    private readonly known: ReadonlySet<string>,
    previous?: BatchBuilder,
  ) {
    const start = (column: TextColumn | undefined) => new TextColumn(column?.size ?? 4096);
    this.url = start(previous?.url);
    this.hash = start(previous?.hash);
    this.title = start(previous?.title);
    this.description = start(previous?.description);
    this.feedUrl = start(previous?.feedUrl);
    this.pairHash = start(previous?.pairHash);
    this.pairTag = start(previous?.pairTag);
  }

  add(record: ImportRecord): void {
    this.itemCount++;
    this.url.add(record.url);
    this.hash.add(record.hash);
    this.title.add(record.title);
    this.description.add(record.description);
    this.private.addBoolean(record.private);
    this.feedUrl.add(record.feedUrl);
    this.createdAt.addTimestamp(record.createdAt);
    this.updatedAt.addTimestamp(record.updatedAt);
    for (const tag of record.tags) {
      this.pairHash.add(record.hash);
      this.pairTag.add(tag);
      if (!this.known.has(tag)) {
        this.newTags.hashes.push(record.hash);
        this.newTags.tags.push(tag);
      }
    }
  }

  finish(endIndex: number): PreparedBatch {
    return {
      startIndex: this.startIndex,
      endIndex,
      itemCount: this.itemCount,
      duplicateCount: this.duplicateCount,
      failures: this.failures,
      columns:
        this.itemCount === 0
          ? undefined
          : {
              url: this.url.finish(),
              hash: this.hash.finish(),
              title: this.title.finish(),
              description: this.description.finish(),
              private: this.private.finish(),
              feed_url: this.feedUrl.finish(),
              created_at: this.createdAt.finish(),
              updated_at: this.updatedAt.finish(),
              pair_hash: this.pairHash.finish(),
              pair_tag: this.pairTag.finish(),
            },
      newTagPairs: this.newTags,
    };
  }
}

/** A batch of already checked records at once (tests, tools). */
export function prepareBatch(
  startIndex: number,
  records: readonly ImportRecord[],
  known: ReadonlySet<string> = new Set(),
): PreparedBatch {
  const builder = new BatchBuilder(startIndex, known);
  for (const record of records) builder.add(record);
  return builder.finish(startIndex + records.length);
}

/** The pairs whose tag is still not in `known`, as columns for creating the tags. */
export function unknownTagPairs(
  pairs: PreparedBatch['newTagPairs'],
  known: ReadonlySet<string>,
): { hash: Buffer; tag: Buffer } | undefined {
  const hashes: string[] = [];
  const tags: string[] = [];
  for (let i = 0; i < pairs.tags.length; i++) {
    const tag = pairs.tags[i]!;
    if (known.has(tag)) continue;
    hashes.push(pairs.hashes[i]!);
    tags.push(tag);
  }
  if (tags.length === 0) return undefined;
  return { hash: textArray(hashes), tag: textArray(tags) };
}

/* The binary array format ------------------------------------------------ */

const TEXT_OID = 25;
const BOOL_OID = 16;
const TIMESTAMPTZ_OID = 1184;
const HEADER_BYTES = 20;
/** PostgreSQL's epoch (2000-01-01T00:00:00Z) in Unix milliseconds. */
const PG_EPOCH_MS = 946_684_800_000;
const TWO_32 = 4_294_967_296;

/** One dimension, lower bound 1; the null flag is recomputed by PostgreSQL. */
function header(buffer: Buffer, elementOid: number, count: number): void {
  buffer.writeInt32BE(1, 0);
  buffer.writeInt32BE(0, 4);
  buffer.writeUInt32BE(elementOid, 8);
  buffer.writeInt32BE(count, 12);
  buffer.writeInt32BE(1, 16);
}

/** Each element: its length in bytes (-1 for NULL), then its UTF-8 bytes. */
class TextColumn {
  private buffer: Buffer;
  private at = HEADER_BYTES;
  private count = 0;

  constructor(capacity: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(capacity, HEADER_BYTES + 64));
  }

  /** Bytes written so far. */
  get size(): number {
    return this.at;
  }

  add(value: string | null): void {
    this.count++;
    if (value === null) {
      this.reserve(4);
      this.buffer.writeInt32BE(-1, this.at);
      this.at += 4;
      return;
    }
    // Most text is ASCII: one byte a character unless proven otherwise.
    this.reserve(4 + value.length * 3);
    const bytes = this.buffer.write(value, this.at + 4, 'utf8');
    this.buffer.writeInt32BE(bytes, this.at);
    this.at += 4 + bytes;
  }

  finish(): Buffer {
    header(this.buffer, TEXT_OID, this.count);
    return this.buffer.subarray(0, this.at);
  }

  private reserve(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.at + bytes, this.buffer.length * 2));
    this.buffer.copy(bigger, 0, 0, this.at);
    this.buffer = bigger;
  }
}

/** Elements of one size (boolean, timestamptz), or NULL. */
class FixedColumn {
  private buffer = Buffer.allocUnsafe(HEADER_BYTES + 1024);
  private at = HEADER_BYTES;
  private count = 0;

  constructor(
    private readonly oid: number,
    /** Bytes an element takes, its 4-byte length included. */
    private readonly elementBytes: number,
  ) {}

  addBoolean(value: boolean): void {
    const at = this.next(1);
    this.buffer[at] = value ? 1 : 0;
  }

  /** timestamptz: microseconds since 2000-01-01 UTC as a signed 64-bit integer; NULL for none. */
  addTimestamp(value: Date | undefined): void {
    if (value === undefined) {
      this.next(-1);
      return;
    }
    const micros = (value.getTime() - PG_EPOCH_MS) * 1000;
    const high = Math.floor(micros / TWO_32);
    const at = this.next(8);
    this.buffer.writeInt32BE(high, at);
    this.buffer.writeUInt32BE(micros - high * TWO_32, at + 4);
  }

  finish(): Buffer {
    header(this.buffer, this.oid, this.count);
    return this.buffer.subarray(0, this.at);
  }

  /** Writes the element's length (-1: NULL) and returns where its bytes go. */
  private next(length: number): number {
    this.count++;
    if (this.at + this.elementBytes > this.buffer.length) {
      const bigger = Buffer.allocUnsafe(this.buffer.length * 2);
      this.buffer.copy(bigger, 0, 0, this.at);
      this.buffer = bigger;
    }
    this.buffer.writeInt32BE(length, this.at);
    const at = this.at + 4;
    this.at = at + Math.max(length, 0);
    return at;
  }
}

/** A whole text array at once. */
export function textArray(values: ReadonlyArray<string | null>): Buffer {
  let chars = 0;
  for (const value of values) chars += value === null ? 0 : value.length;
  const column = new TextColumn(HEADER_BYTES + 4 * values.length + chars + 64);
  for (const value of values) column.add(value);
  return column.finish();
}
