/**
 * A batch as PostgreSQL arrays, one per column, in PostgreSQL's binary array
 * format (what array_send writes and array_recv reads): pg sends a Buffer as a
 * binary parameter, and the statement declares its type (`$2::text[]`). One
 * parameter per column whatever the batch size; PostgreSQL copies each element
 * as it is, with no quoting to undo and no text dates to parse.
 */
import type { ImportRecord } from './records';

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

export function toColumns(records: readonly ImportRecord[]): Columns {
  const pairHashes: string[] = [];
  const pairTags: string[] = [];
  for (const record of records) {
    for (const tag of record.tags) {
      pairHashes.push(record.hash);
      pairTags.push(tag);
    }
  }
  return {
    url: textArray(records.map((r) => r.url)),
    hash: textArray(records.map((r) => r.hash)),
    title: textArray(records.map((r) => r.title)),
    description: textArray(records.map((r) => r.description)),
    private: boolArray(records.map((r) => r.private)),
    feed_url: textArray(records.map((r) => r.feedUrl)),
    created_at: timestampArray(records.map((r) => r.createdAt)),
    updated_at: timestampArray(records.map((r) => r.updatedAt)),
    pair_hash: textArray(pairHashes),
    pair_tag: textArray(pairTags),
  };
}

/** The (record hash, tag) pairs whose tag is not in `known`, for creating tags. */
export function unknownTagPairs(
  records: readonly ImportRecord[],
  known: ReadonlySet<string>,
): { hash: Buffer; tag: Buffer } | undefined {
  const hashes: string[] = [];
  const tags: string[] = [];
  for (const record of records) {
    for (const tag of record.tags) {
      if (known.has(tag)) continue;
      hashes.push(record.hash);
      tags.push(tag);
    }
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
export function textArray(values: ReadonlyArray<string | null>): Buffer {
  let chars = 0;
  for (const value of values) chars += value === null ? 0 : value.length;
  // Most text is ASCII: start at one byte a character, grow for the rest.
  let buffer = Buffer.allocUnsafe(HEADER_BYTES + 4 * values.length + chars + 64);
  header(buffer, TEXT_OID, values.length);
  let at = HEADER_BYTES;
  for (const value of values) {
    if (value === null) {
      buffer.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    const worst = at + 4 + value.length * 3;
    if (worst > buffer.length) {
      const bigger = Buffer.allocUnsafe(Math.max(worst, buffer.length * 2));
      buffer.copy(bigger, 0, 0, at);
      buffer = bigger;
    }
    const bytes = buffer.write(value, at + 4, 'utf8');
    buffer.writeInt32BE(bytes, at);
    at += 4 + bytes;
  }
  return buffer.subarray(0, at);
}

function boolArray(values: readonly boolean[]): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + 5 * values.length);
  header(buffer, BOOL_OID, values.length);
  let at = HEADER_BYTES;
  for (const value of values) {
    buffer.writeInt32BE(1, at);
    buffer[at + 4] = value ? 1 : 0;
    at += 5;
  }
  return buffer;
}

/** timestamptz: microseconds since 2000-01-01 UTC as a signed 64-bit integer; NULL for none. */
function timestampArray(values: ReadonlyArray<Date | undefined>): Buffer {
  const buffer = Buffer.allocUnsafe(HEADER_BYTES + 12 * values.length);
  header(buffer, TIMESTAMPTZ_OID, values.length);
  let at = HEADER_BYTES;
  for (const value of values) {
    if (value === undefined) {
      buffer.writeInt32BE(-1, at);
      at += 4;
      continue;
    }
    const micros = (value.getTime() - PG_EPOCH_MS) * 1000;
    const high = Math.floor(micros / TWO_32);
    buffer.writeInt32BE(8, at);
    buffer.writeInt32BE(high, at + 4);
    buffer.writeUInt32BE(micros - high * TWO_32, at + 8);
    at += 12;
  }
  return buffer.subarray(0, at);
}
