/**
 * Reading an upload as text, in chunks: memory stays flat whatever the size.
 * Files that claim UTF-8 (or claim nothing) but are not valid UTF-8 are read
 * as Windows-1252, the encoding such old exports almost always use, so
 * "Caf\xe9" becomes "Café" rather than "Caf�".
 */
import fs from 'node:fs';
import type { Detected } from './detect';

/**
 * Small enough that a decoded chunk is an ordinary young-generation string
 * (large strings go straight to V8's large-object space and wait for a full GC).
 */
const CHUNK_BYTES = 64 * 1024;
export const LEGACY_ENCODING = 'windows-1252';

export async function* readText(filePath: string, encoding: string): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding);
  const stream = fs.createReadStream(filePath, { highWaterMark: CHUNK_BYTES });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

export interface Scan {
  /** The encoding to read the file with. */
  readonly encoding: string;
  /** Links in an HTML file (an estimate of its records); 0 for JSON. */
  readonly anchors: number;
}

/** One cheap pass: is the text valid in its encoding, and how many links does it hold? */
export async function scanFile(filePath: string, detected: Detected): Promise<Scan> {
  let decoder = new TextDecoder(detected.encoding, { fatal: !detected.declared });
  let encoding = detected.encoding;
  let anchors = 0;
  let carry = '';
  const countHtml = detected.format === 'netscape';
  const stream = fs.createReadStream(filePath, { highWaterMark: CHUNK_BYTES });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let text: string;
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      encoding = LEGACY_ENCODING;
      decoder = new TextDecoder(LEGACY_ENCODING);
      text = decoder.decode(chunk, { stream: true });
    }
    if (countHtml) {
      const window = carry + text;
      anchors += countAnchors(window);
      // Keep a tail so "<a" split across chunks is still seen, without counting it twice.
      const tail = window.slice(-2);
      carry = /<a?$/i.test(tail) ? tail.slice(tail.lastIndexOf('<')) : '';
    }
  }
  try {
    decoder.decode();
  } catch {
    encoding = LEGACY_ENCODING;
  }
  return { encoding, anchors };
}

function countAnchors(text: string): number {
  const matches = text.match(/<a\s/gi);
  return matches ? matches.length : 0;
}
