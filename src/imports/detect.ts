/**
 * What kind of file was uploaded, judged from its first bytes (never its
 * name): Netscape bookmark HTML, Pinboard JSON or ActivityStreams JSON. Files
 * that are none of these fail with a message that says what was found.
 */
import fs from 'node:fs/promises';
import type { ImportFormat } from '../bookmarks/metrics';

/** The formats an upload can be in ('unknown' is only a metric label). */
export type FileFormat = Exclude<ImportFormat, 'unknown'>;

export interface Detected {
  readonly format: FileFormat;
  /** A WHATWG encoding label; 'utf-8' unless a BOM or a declaration says otherwise. */
  readonly encoding: string;
  /** True when the encoding came from a BOM or a charset declaration (not to be second-guessed). */
  readonly declared: boolean;
}

/** A problem with the file as a whole: the job fails with this message. */
export class ImportFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportFileError';
  }
}

const SNIFF_BYTES = 1024;

export async function detectFile(filePath: string): Promise<Detected> {
  const handle = await fs.open(filePath, 'r');
  try {
    const head = Buffer.alloc(SNIFF_BYTES);
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0);
    return detectHead(head.subarray(0, bytesRead));
  } finally {
    await handle.close();
  }
}

const FORMATS: Record<string, FileFormat> = {
  '<': 'netscape',
  '[': 'pinboard',
  '{': 'activitystreams',
};

function detectHead(head: Buffer): Detected {
  if (head.length === 0) throw new ImportFileError('The file is empty.');
  const bom = byteOrderMark(head);
  if (!bom) rejectBinary(head);
  const text = new TextDecoder(bom ?? 'utf-8')
    .decode(head)
    .replace(/^\uFEFF/, '')
    .trimStart();
  if (text === '') throw new ImportFileError('The file is empty (it holds only white space).');
  const format = FORMATS[text[0]!];
  if (!format) {
    throw new ImportFileError(
      'Unrecognised file: expected Netscape bookmark HTML, Pinboard JSON or ActivityStreams JSON.',
    );
  }
  if (format === 'netscape') {
    if (!/<(!doctype|html|head|meta|title|body|dl|dt|h1|h3|ul|li|a)[\s>]/i.test(text)) {
      throw new ImportFileError(
        'This is markup, but not a bookmark export: expected Netscape bookmark HTML (<!DOCTYPE NETSCAPE-Bookmark-file-1>).',
      );
    }
    // Every Netscape export declares UTF-8, whatever it really holds: only a
    // declaration of something else is believed; UTF-8 is checked while scanning.
    const charset = bom ? undefined : declaredCharset(text);
    if (charset && charset !== 'utf-8') return { format, encoding: charset, declared: true };
  }
  return { format, encoding: bom ?? 'utf-8', declared: bom !== undefined };
}

function byteOrderMark(head: Buffer): string | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return 'utf-8';
  if (head[0] === 0xff && head[1] === 0xfe) return 'utf-16le';
  if (head[0] === 0xfe && head[1] === 0xff) return 'utf-16be';
  return undefined;
}

function rejectBinary(head: Buffer): void {
  if (head[0] === 0x1f && head[1] === 0x8b) {
    throw new ImportFileError(
      'This is a gzip-compressed file: decompress it and upload the export inside.',
    );
  }
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    throw new ImportFileError('This is a zip archive: extract it and upload the export inside.');
  }
  let control = 0;
  for (const byte of head) {
    if (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d && byte !== 0x0c) control++;
  }
  if (head.includes(0) || control > head.length / 100) {
    throw new ImportFileError('This is a binary file, not a text bookmark export.');
  }
}

/** `<meta charset=…>` or `content="text/html; charset=…"`, when TextDecoder knows it. */
function declaredCharset(head: string): string | undefined {
  const match = /charset\s*=\s*["']?([\w:.-]+)/i.exec(head);
  if (!match) return undefined;
  try {
    return new TextDecoder(match[1]!.toLowerCase()).encoding;
  } catch {
    return undefined;
  }
}
