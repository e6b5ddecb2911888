/**
 * Raw records to batches of COPY rows (writer.ts's staging table): each record
 * checked on its own, a URL already seen in the file a duplicate (the first
 * wins). Records before `cursor` were committed by an earlier run: they only
 * teach which URLs the file holds.
 */
import {
  checkRecord,
  type ImportRecord,
  type RawRecord,
  type RecordFailure,
  type RecordOptions,
} from './records';

export interface Batch {
  /** The batch holds the file's records [startIndex, endIndex). */
  readonly startIndex: number;
  readonly endIndex: number;
  /** The rows to write, one line each, in COPY's text format. */
  readonly rows: string;
  readonly rowCount: number;
  /** Records skipped as already earlier in the file. */
  readonly duplicates: number;
  readonly failures: readonly RecordFailure[];
}

export async function* batchRecords(
  groups: AsyncIterable<RawRecord[]>,
  options: { cursor: number; batchSize: number; record: RecordOptions },
): AsyncGenerator<Batch> {
  const { cursor, batchSize } = options;
  const seen = new Set<string>();
  let rows: string[] = [];
  let failures: RecordFailure[] = [];
  let duplicates = 0;
  let start = cursor;
  let count = 0;
  const finish = (): Batch => {
    const batch: Batch = {
      startIndex: start,
      endIndex: count,
      rows: rows.join(''),
      rowCount: rows.length,
      duplicates,
      failures,
    };
    rows = [];
    failures = [];
    duplicates = 0;
    start = count;
    return batch;
  };
  for await (const group of groups) {
    for (const raw of group) {
      count = raw.index + 1;
      const checked = checkRecord(raw, options.record);
      if (raw.index < cursor) {
        if (checked.ok) seen.add(checked.record.key);
        continue;
      }
      if (!checked.ok) failures.push(checked.failure);
      else if (seen.has(checked.record.key)) duplicates++;
      else {
        seen.add(checked.record.key);
        rows.push(copyRow(checked.record));
      }
      if (count - start >= batchSize) yield finish();
    }
  }
  if (count > start) yield finish();
}

/** A row of COPY text: fields split by tabs, `\N` for NULL. Tags cannot hold a space. */
function copyRow(r: ImportRecord): string {
  return `${copyText(r.url)}\t${r.hash}\t${copyText(r.title)}\t${copyText(r.description)}\t${
    r.private ? 't' : 'f'
  }\t${r.feedUrl === null ? NULL : copyText(r.feedUrl)}\t${date(r.createdAt)}\t${date(
    r.updatedAt,
  )}\t${copyText(r.tags.join(' '))}\n`;
}

const NULL = '\\N';
const SPECIAL = /[\\\t\n\r]/;
const SPECIALS = /[\\\t\n\r]/g;
const ESCAPED: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** COPY's text format: a backslash, tab, newline or carriage return is written as an escape. */
function copyText(text: string): string {
  return SPECIAL.test(text) ? text.replace(SPECIALS, (c) => ESCAPED[c]!) : text;
}

function date(value: Date | undefined): string {
  return value === undefined ? NULL : value.toISOString();
}
