/**
 * Uploaded files on disk, in DATA_DIR/uploads: written from a stream with a
 * size limit (an HTTP upload, or the CLI's copy of a file), removed by whoever
 * owns them once they are not needed. Memory stays flat whatever the size.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { badRequest } from '../errors';
import { DISCARD_MAX_BYTES } from '../web/discard-body';

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${bytes} bytes`;
}

export const cutOff = () =>
  badRequest(
    'The upload was cut off before its end, so nothing was saved. Send the whole file again.',
  );

/** The request body ended early: the client went away, or busboy found no closing boundary. */
export function isCutOff(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (typeof message === 'string' && /^Unexpected end of (file|form)$/.test(message))
  );
}

/**
 * Streams `source` to a new file in the uploads folder; over `maxBytes` the
 * file is removed and `tooLarge` thrown. Also for the CLI's copy of a file.
 */
export async function saveUpload(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  dataDir: string,
  maxBytes: number,
  tooLarge: Error,
): Promise<{ path: string; size: number }> {
  // The source may fail while we await the folder and the file below; its
  // error must not go unheard (that ends the process). Reading it later
  // meets the same error, and we clean up then.
  if (source instanceof EventEmitter) source.on('error', () => {});
  const dir = path.join(dataDir, 'uploads');
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}.upload`);
  // Opened before reading, so whatever happens next the file exists and is ours to remove.
  const out = await fsp.open(file, 'wx', 0o600);
  let size = 0;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (size <= maxBytes) await out.write(chunk);
      // A body sent without its length: past the limit it is read and dropped
      // (so the 413 is heard) only as far as the error handler would.
      else if (size > maxBytes + DISCARD_MAX_BYTES) break;
    }
  } catch (error) {
    await out.close().catch(() => {});
    await removeUpload(file);
    throw isCutOff(error) ? cutOff() : error;
  }
  await out.close();
  if (size > maxBytes) {
    await removeUpload(file);
    throw tooLarge;
  }
  return { path: file, size };
}

/** Deletes an upload; a file already gone is fine. */
export async function removeUpload(file: string): Promise<void> {
  await fsp.rm(file, { force: true });
}

export async function uploadExists(file: string): Promise<boolean> {
  return fsp.access(file).then(
    () => true,
    () => false,
  );
}
