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
const LEGACY_ENCODING = 'windows-1252';

export async function* readText(
  filePath: string,
  encoding: string,
  fatal = false,
): AsyncGenerator<string> {
  const decoder = new TextDecoder(encoding, { fatal });
  const stream = fs.createReadStream(filePath, { highWaterMark: CHUNK_BYTES });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const text = decoder.decode(chunk, { stream: true });
    if (text !== '') yield text;
  }
  const rest = decoder.decode();
  if (rest !== '') yield rest;
}

/**
 * One pass over the file before the import: the encoding to read it with, and
 * how many links it holds (an estimate of an HTML file's records).
 */
export async function scanFile(
  filePath: string,
  detected: Detected,
): Promise<{ encoding: string; anchors: number }> {
  const strict = detected.encoding === 'utf-8' && !detected.declared;
  const html = detected.format === 'netscape';
  let anchors = 0;
  try {
    for await (const text of readText(filePath, detected.encoding, strict)) {
      if (html) anchors += text.match(/<a\s/gi)?.length ?? 0;
    }
  } catch (error) {
    if (!(strict && error instanceof TypeError)) throw error;
    return scanFile(filePath, { ...detected, encoding: LEGACY_ENCODING, declared: true });
  }
  return { encoding: detected.encoding, anchors };
}
