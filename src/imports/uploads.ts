/**
 * Uploaded files live under DATA_DIR/uploads until their import ends:
 * deleted once it completed or was cancelled, kept when it failed (for a
 * retry, IMPORT_FAILED_UPLOAD_HOURS; then the maintenance task deletes it).
 * Writes are streamed and capped; an over-size or cut-off upload leaves nothing.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { payloadTooLarge } from '../errors';

export function uploadsDir(dataDir: string): string {
  return path.join(dataDir, 'uploads');
}

export function tooLargeMessage(maxBytes: number): string {
  return `The file is larger than the import limit of ${formatBytes(maxBytes)} (IMPORT_MAX_BYTES).`;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${bytes} bytes`;
}

export const cutOffMessage =
  'The upload was cut off before its end, so nothing was saved. Send the whole file again.';

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
 * Streams `source` to a new file in the uploads folder; never holds it in
 * memory. Past `maxBytes` the partial file is removed and the rest of the
 * source is read and dropped (up to a bound), so an HTTP client still gets
 * the 413 rather than a reset connection; then a 413 is thrown. When the
 * source fails (a cut-off body), the partial file is removed and its error
 * thrown.
 */
export async function saveUpload(
  source: AsyncIterable<Buffer>,
  dataDir: string,
  maxBytes: number,
): Promise<{ path: string; size: number }> {
  // The source may fail while we await the folder and the file below; its
  // error must not go unheard (that ends the process). Reading it later
  // meets the same error, and we clean up then.
  if (source instanceof EventEmitter) source.on('error', () => {});
  const dir = uploadsDir(dataDir);
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}.upload`);
  // Opened before reading, so whatever happens next the file exists and is ours to remove.
  const out = await fsp.open(file, 'wx', 0o600);
  let size = 0;
  let tooLarge = false;
  try {
    for await (const chunk of source) {
      size += chunk.length;
      if (tooLarge) {
        if (size > maxBytes * 4) break; // enough courtesy: stop reading
        continue;
      }
      if (size > maxBytes) {
        tooLarge = true;
        continue;
      }
      await out.write(chunk);
    }
  } catch (error) {
    await out.close().catch(() => {});
    await removeUpload(file);
    throw error;
  }
  await out.close();
  if (tooLarge) {
    await removeUpload(file);
    throw payloadTooLarge(tooLargeMessage(maxBytes));
  }
  return { path: file, size };
}

/** Deletes an upload; a file already gone is fine. */
export async function removeUpload(file: string): Promise<void> {
  await fsp.rm(file, { force: true });
}

export async function uploadExists(file: string): Promise<boolean> {
  try {
    await fsp.access(file);
    return true;
  } catch {
    return false;
  }
}

/** A file this young may be an upload still being received (its job row comes after). */
const IN_FLIGHT_MS = 60 * 60 * 1000;

/**
 * Deletes the uploads nobody needs any more, answering how many: those of
 * imports that failed more than `failedHours` ago (a retry then asks for the
 * file again), and any file no import refers to (left by a process that died
 * while receiving it). Kept: uploads of pending and running imports, and of
 * recent failures. Run by the prune_old_data task.
 */
export async function removeStaleUploads(
  knex: Knex,
  dataDir: string,
  failedHours: number,
): Promise<number> {
  const dir = uploadsDir(dataDir);
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return 0;
    throw error;
  }
  const needed: Array<{ file_path: string }> = await knex('import_jobs')
    .whereIn('status', ['pending', 'processing'])
    .orWhere((failed) =>
      failed
        .where('status', 'failed')
        .andWhere('completed_at', '>', new Date(Date.now() - failedHours * 60 * 60 * 1000)),
    )
    .select('file_path');
  const keep = new Set(needed.map((row) => path.resolve(row.file_path)));
  let removed = 0;
  for (const name of names) {
    const file = path.resolve(dir, name);
    if (keep.has(file)) continue;
    const stat = await fsp.stat(file).catch(() => undefined);
    if (!stat?.isFile() || Date.now() - stat.mtimeMs < IN_FLIGHT_MS) continue;
    await removeUpload(file);
    removed++;
  }
  return removed;
}
