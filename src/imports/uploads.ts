/**
 * Uploaded files live under DATA_DIR/uploads until their import ends:
 * deleted once it completed or was cancelled, kept when it failed (for a
 * retry). Writes are streamed and capped; an over-size upload leaves nothing.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
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

/**
 * Streams `source` to a new file in the uploads folder; never holds it in
 * memory. Past `maxBytes` the partial file is removed and the rest of the
 * source is read and dropped (up to a bound), so an HTTP client still gets
 * the 413 rather than a reset connection; then a 413 is thrown.
 */
export async function saveUpload(
  source: AsyncIterable<Buffer>,
  dataDir: string,
  maxBytes: number,
): Promise<{ path: string; size: number }> {
  const dir = uploadsDir(dataDir);
  await fsp.mkdir(dir, { recursive: true });
  const file = path.join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}.upload`);
  const out = fs.createWriteStream(file, { flags: 'wx', mode: 0o600 });
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
        out.destroy();
        continue;
      }
      if (!out.write(chunk)) await once(out, 'drain');
    }
    if (!tooLarge) {
      out.end();
      await finished(out);
    }
  } catch (error) {
    out.destroy();
    await removeUpload(file);
    throw error;
  }
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
