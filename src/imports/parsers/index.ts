import type { FileFormat } from '../detect';
import type { RawRecord } from '../records';
import { readText } from '../text';
import { activityRecord, pinboardRecord } from './json-formats';
import { readJsonRecords } from './json-records';
import { type HtmlSummary, readNetscape } from './netscape';

/**
 * Every record of the file, in order, whatever its format, in groups (one
 * per chunk read for HTML): one await per group rather than per record.
 */
export async function* readRecords(
  filePath: string,
  format: FileFormat,
  encoding: string,
  summary: HtmlSummary,
): AsyncGenerator<RawRecord[]> {
  const chunks = readText(filePath, encoding);
  if (format === 'netscape') {
    yield* readNetscape(chunks, summary);
    return;
  }
  const toRecord = format === 'pinboard' ? pinboardRecord : activityRecord;
  let index = 0;
  for await (const value of readJsonRecords(
    chunks,
    format === 'pinboard' ? 'array' : 'collection',
  )) {
    yield [toRecord(value, index++)];
  }
}
