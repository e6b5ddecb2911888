/**
 * Turns the stream of raw records into batches ready to write: each record
 * checked on its own, URLs already seen in the file marked as duplicates
 * (the first occurrence wins), the rest added to the batch's columns.
 * Records before `cursor` were committed by an earlier run: they only teach
 * which URLs the file holds.
 */
import { BatchBuilder, type PreparedBatch } from './columns';
import { checkRecord, type RawRecord, type RecordOptions } from './records';

export async function* batchRecords(
  groups: AsyncIterable<RawRecord[]>,
  options: {
    cursor: number;
    batchSize: number;
    record: RecordOptions;
    /** Tags known to exist for the owner (grows as batches commit). */
    knownTags?: ReadonlySet<string>;
  },
): AsyncGenerator<PreparedBatch, number> {
  const { cursor, batchSize } = options;
  const known = options.knownTags ?? new Set<string>();
  const seen = new Set<string>();
  let batch = new BatchBuilder(cursor, known);
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
      else if (seen.has(checked.record.key)) batch.duplicateCount++;
      else {
        seen.add(checked.record.key);
        batch.add(checked.record);
      }
      if (count - batch.startIndex >= batchSize) {
        yield batch.finish(count);
        batch = new BatchBuilder(count, known, batch);
      }
    }
  }
  if (count > batch.startIndex) yield batch.finish(count);
  return count;
}
