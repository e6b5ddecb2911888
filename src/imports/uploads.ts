/**
 * The uploads of imports: how the web routes receive one (the rules of
 * src/web/uploads.ts with IMPORT_MAX_BYTES), and the clean-up of those no
 * import needs any more. A file stays until its import ends: deleted once it
 * completed or was cancelled, kept when it failed (for a retry,
 * IMPORT_FAILED_UPLOAD_HOURS; then the maintenance task deletes it).
 */
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Knex } from 'knex';
import { formatBytes, removeUpload } from '../uploads/files';
import type { UploadRules } from '../uploads/receive';

/** A file this young may be an upload still being received (its job row comes after). */
const IN_FLIGHT_MS = 60 * 60 * 1000;

export const tooLargeMessage = (maxBytes: number) =>
  `The file is larger than the import limit of ${formatBytes(maxBytes)} (IMPORT_MAX_BYTES).`;

export function importUploadRules(dataDir: string, maxBytes: number): UploadRules {
  return {
    dataDir,
    maxBytes,
    tooLarge: tooLargeMessage(maxBytes),
    field: 'file',
    missing: 'Choose a file to import (a form field named "file").',
  };
}

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
  const dir = path.join(dataDir, 'uploads');
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
