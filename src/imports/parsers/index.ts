import type { FileFormat } from '../detect';
import type { RawRecord } from '../records';
import { readText } from '../text';
import { activityRecord, pinboardRecord } from './json-formats';
import { type Json, readJsonRecords } from './json-records';
import { type HtmlSummary, parseNetscape } from './netscape';

export type { HtmlSummary } from './netscape';

/**
 * Every record of the file, in order, whatever its format, in groups (one
 * per chunk read): one await per group rather than per record.
 */
export function readRecords(
  filePath: string,
  format: FileFormat,
  encoding: string,
  summary: HtmlSummary,
): AsyncGenerator<RawRecord[]> {
  if (format === 'netscape') return parseNetscape(filePath, encoding, summary);
  const chunks = readText(filePath, encoding);
  const toRecord = format === 'pinboard' ? pinboardRecord : activityRecord;
  return mapJson(readJsonRecords(chunks, format === 'pinboard' ? 'array' : 'collection'), toRecord);
}

async function* mapJson(
  values: AsyncIterable<Json>,
  toRecord: (value: Json, index: number) => RawRecord,
): AsyncGenerator<RawRecord[]> {
  let index = 0;
  for await (const value of values) yield [toRecord(value, index++)];
}
