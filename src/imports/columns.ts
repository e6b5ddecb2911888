/**
 * A batch as PostgreSQL array literals, one per column, passed to pg as
 * Buffers (binary parameters, which PostgreSQL reads as text and casts to
 * arrays): one parameter per column whatever the batch size, parsed by
 * PostgreSQL's own array reader.
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
  const text = (values: ReadonlyArray<string | null>) => values.map(quote).join(',');
  const pairHashes: string[] = [];
  const pairTags: string[] = [];
  for (const record of records) {
    for (const tag of record.tags) {
      pairHashes.push(record.hash);
      pairTags.push(tag);
    }
  }
  const literals: Record<(typeof COLUMNS)[number], string> = {
    url: text(records.map((r) => r.url)),
    hash: text(records.map((r) => r.hash)),
    title: text(records.map((r) => r.title)),
    description: text(records.map((r) => r.description)),
    private: records.map((r) => (r.private ? 't' : 'f')).join(','),
    feed_url: text(records.map((r) => r.feedUrl)),
    created_at: records.map((r) => epochMs(r.createdAt)).join(','),
    updated_at: records.map((r) => epochMs(r.updatedAt)).join(','),
    pair_hash: text(pairHashes),
    pair_tag: text(pairTags),
  };
  const columns = {} as Columns;
  for (const name of COLUMNS) columns[name] = Buffer.from(`{${literals[name]}}`);
  return columns;
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
  return {
    hash: Buffer.from(`{${hashes.map(quote).join(',')}}`),
    tag: Buffer.from(`{${tags.map(quote).join(',')}}`),
  };
}

/** Dates travel as epoch milliseconds (cheaper to write than ISO strings). */
function epochMs(date: Date | undefined): string {
  return date ? String(date.getTime()) : 'NULL';
}

/** An element of an array literal: NULL, or double-quoted with \ and " escaped. */
function quote(value: string | null): string {
  if (value === null) return 'NULL';
  return NEEDS_ESCAPE.test(value) ? `"${value.replace(ESCAPED, '\\$&')}"` : `"${value}"`;
}

const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;
