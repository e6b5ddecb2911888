/**
 * Turns the stream of raw records into batches ready to write: each record
 * checked on its own, URLs already seen in the file marked as duplicates
 * (the first occurrence wins). Records before `cursor` were committed by an
 * earlier run: they only teach which URLs the file holds.
 */
import {
  checkRecord,
  type ImportRecord,
  type RawRecord,
  type RecordFailure,
  type RecordOptions,
} from './records';

export interface ParsedBatch {
  readonly startIndex: number;
  readonly endIndex: number;
  readonly items: readonly ImportRecord[];
  readonly duplicates: readonly number[];
  readonly failures: readonly RecordFailure[];
}

export async function* batchRecords(
  groups: AsyncIterable<RawRecord[]>,
  options: { cursor: number; batchSize: number; record: RecordOptions },
): AsyncGenerator<ParsedBatch, number> {
  const { cursor, batchSize } = options;
  const seen = new Set<string>();
  let batch = open(cursor);
  let count = 0;
  for await (const group of groups) {
    for (const raw of group) {
      count = raw.index + 1;
      const checked = checkRecord(raw, options.record);
      if (raw.index < cursor) {
        if (checked.ok) seen.add(checked.record.key);
        continue;
      }
      if (!checked.ok) batch.failures.push(checked.failure);
      else if (seen.has(checked.record.key)) batch.duplicates.push(raw.index);
      else {
        seen.add(checked.record.key);
        batch.items.push(checked.record);
      }
      if (count - batch.startIndex >= batchSize) {
        yield { ...batch, endIndex: count };
        batch = open(count);
      }
    }
  }
  if (count > batch.startIndex) yield { ...batch, endIndex: count };
  return count;
}

function open(startIndex: number) {
  return {
    startIndex,
    items: [] as ImportRecord[],
    duplicates: [] as number[],
    failures: [] as RecordFailure[],
  };
}
