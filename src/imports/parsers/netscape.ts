/**
 * Netscape bookmark HTML, streamed chunk by chunk, so memory does not grow
 * with the file. Records are read by the fast scanner (netscape-scanner.ts);
 * a file with markup it does not read exactly like htmlparser2 is read again
 * from the start with htmlparser2, and the records already handed on are not
 * handed on twice. What a record is lives in netscape-records.ts, for both.
 */
import { Parser } from 'htmlparser2';
import type { RawRecord } from '../records';
import { readText } from '../text';
import { NetscapeRecords } from './netscape-records';
import { NetscapeScanner, UnsupportedMarkup } from './netscape-scanner';

/** What the parse learned about the file as a whole. */
export interface HtmlSummary {
  /** The file ended inside a list: it was probably cut short. */
  truncated: boolean;
  /** Which reader read the whole file (for tests and diagnosis). */
  reader?: 'scanner' | 'htmlparser2';
}

export function parseNetscape(
  filePath: string,
  encoding: string,
  summary: HtmlSummary,
): AsyncGenerator<RawRecord[]> {
  return readNetscape(() => readText(filePath, encoding), summary);
}

/** `read` gives the file's text in chunks, from the start, each time it is called. */
export async function* readNetscape(
  read: () => AsyncIterable<string>,
  summary: HtmlSummary,
): AsyncGenerator<RawRecord[]> {
  let handedOn = 0;
  try {
    const records = new NetscapeRecords();
    const scanner = new NetscapeScanner(records);
    for await (const chunk of read()) {
      scanner.write(chunk);
      if (records.ready.length > 0) {
        const ready = records.ready;
        records.ready = [];
        handedOn += ready.length;
        yield ready;
      }
    }
    scanner.end();
    summary.truncated = records.truncated;
    summary.reader = 'scanner';
    if (records.ready.length > 0) yield records.ready;
    return;
  } catch (error) {
    if (!(error instanceof UnsupportedMarkup)) throw error;
  }
  yield* readWithHtmlparser2(read(), summary, handedOn);
}

/** The same records through htmlparser2, from the `skip`th on. */
export async function* readWithHtmlparser2(
  chunks: AsyncIterable<string>,
  summary: HtmlSummary,
  skip = 0,
): AsyncGenerator<RawRecord[]> {
  const records = new NetscapeRecords();
  let insideTagAtEnd = false;
  const parser = new Parser(
    {
      onopentag: (name, attribs) => records.open(name, attribs),
      ontext: (text) => {
        if (!insideTagAtEnd) records.text(text);
      },
      onclosetag: (name, isImplied) => records.close(name, isImplied),
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  const take = (): RawRecord[] => {
    const ready = records.ready;
    records.ready = [];
    return skip === 0 ? ready : ready.filter((record) => record.index >= skip);
  };
  for await (const chunk of chunks) {
    parser.write(chunk);
    const ready = take();
    if (ready.length > 0) yield ready;
  }
  // htmlparser2 12.0.0 ends a file cut inside an end tag (`…</DD `) with text
  // sliced from position -1: chunks of the file, not text of it. Inside a tag
  // it means to emit nothing; its tokenizer says so with sectionStart -1.
  insideTagAtEnd = tokenizerSectionStart(parser) === -1;
  parser.end();
  records.end();
  summary.truncated = records.truncated;
  summary.reader = 'htmlparser2';
  const ready = take();
  if (ready.length > 0) yield ready;
}

/** htmlparser2's tokenizer position (not public API); undefined if it is not there. */
function tokenizerSectionStart(parser: Parser): number | undefined {
  const tokenizer = (parser as unknown as { tokenizer?: { sectionStart?: unknown } }).tokenizer;
  return typeof tokenizer?.sectionStart === 'number' ? tokenizer.sectionStart : undefined;
}
