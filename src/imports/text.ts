/**
 * Reading an upload as text, in chunks: memory stays flat whatever the size.
 * Files that claim UTF-8 (or claim nothing) but are not valid UTF-8 are read
 * as Windows-1252, the encoding such old exports almost always use, so
 * "Caf\xe9" becomes "Café" rather than "Caf�".
 */
import { isUtf8 } from 'node:buffer';
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

/**
 * One cheap pass over the bytes: is the file valid UTF-8 (when it matters),
 * and how many links does it hold? Works on raw bytes (memchr-speed search,
 * native UTF-8 validation) for every ASCII-compatible encoding; UTF-16 is
 * decoded.
 */
export async function scanFile(filePath: string, detected: Detected): Promise<Scan> {
  if (detected.encoding.startsWith('utf-16')) return scanDecoded(filePath, detected);
  const checkUtf8 = detected.encoding === 'utf-8' && !detected.declared;
  let valid = true;
  let anchors = 0;
  // The ends of the previous chunk: a UTF-8 sequence, or a "<a " split in two.
  let partial: Buffer = Buffer.alloc(0);
  let tail: Buffer = Buffer.alloc(0);
  const stream = fs.createReadStream(filePath, { highWaterMark: CHUNK_BYTES });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    if (checkUtf8 && valid) {
      const bytes = partial.length > 0 ? Buffer.concat([partial, chunk]) : chunk;
      const whole = completeUtf8(bytes);
      valid = isUtf8(bytes.subarray(0, whole));
      partial = Buffer.from(bytes.subarray(whole));
    }
    if (detected.format === 'netscape') {
      const bytes = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      anchors += countAnchorBytes(bytes, bytes.length - 2);
      tail = Buffer.from(bytes.subarray(Math.max(0, bytes.length - 2)));
    }
  }
  if (partial.length > 0) valid = false; // the file ends inside a character
  return { encoding: valid ? detected.encoding : LEGACY_ENCODING, anchors };
}

/** How many leading bytes hold only whole UTF-8 sequences (the rest waits for the next chunk). */
function completeUtf8(bytes: Buffer): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const byte = bytes[i]!;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back
    if (byte < 0xc0) return bytes.length; // ASCII: nothing is split
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : 2;
    return bytes.length - i >= length ? bytes.length : i;
  }
  return bytes.length;
}

const LT = 0x3c;
const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0c]);

/** "<a" or "<A" followed by white space, starting before `end`. */
function countAnchorBytes(bytes: Buffer, end: number): number {
  let count = 0;
  for (let at = bytes.indexOf(LT); at !== -1 && at < end; at = bytes.indexOf(LT, at + 1)) {
    const next = bytes[at + 1];
    if ((next === 0x61 || next === 0x41) && SPACE.has(bytes[at + 2]!)) count++;
  }
  return count;
}

/** The same for UTF-16 files, on decoded text. */
async function scanDecoded(filePath: string, detected: Detected): Promise<Scan> {
  let anchors = 0;
  let carry = '';
  for await (const text of readText(filePath, detected.encoding)) {
    const window = carry + text;
    anchors += window.match(/<a\s/gi)?.length ?? 0;
    // Keep a tail so "<a" split across chunks is still seen, without counting it twice.
    const tail = window.slice(-2);
    carry = /<a?$/i.test(tail) ? tail.slice(tail.lastIndexOf('<')) : '';
  }
  return { encoding: detected.encoding, anchors: detected.format === 'netscape' ? anchors : 0 };
}
