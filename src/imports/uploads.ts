/**
 * Uploads, streamed into DATA_DIR/uploads and never held in memory: from an
 * HTTP request (multipart/form-data through busboy — the /import form, or
 * `curl -F file=@…` — or the raw body), or copied by the CLI. Over
 * IMPORT_MAX_BYTES the partial file is removed, the rest of the request is
 * read and dropped (up to a bound, so the client gets the 413 rather than a
 * reset connection), and a 413 is thrown; a body cut off before its end is a
 * 400. Either way no file is left behind. A file stays until its import
 * ends: deleted once it completed or was cancelled, kept when it failed (for
 * a retry, IMPORT_FAILED_UPLOAD_HOURS; then the maintenance task deletes it).
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import fsp from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import busboy from 'busboy';
import type { Knex } from 'knex';
import { badRequest, payloadTooLarge } from '../errors';
import { csrfFailed, csrfTokensMatch, uploadCsrfToken } from '../web/middleware/csrf';

export interface ReceivedUpload {
  readonly path: string;
  readonly size: number;
  readonly filename: string;
  /** Form fields (multipart); empty for a raw body. */
  readonly fields: Record<string, string>;
}

interface Limits {
  readonly dataDir: string;
  readonly maxBytes: number;
}

const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 8 * 1024;
/** A file this young may be an upload still being received (its job row comes after). */
const IN_FLIGHT_MS = 60 * 60 * 1000;

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MB`;
  if (bytes >= 1024) return `${Math.round((bytes / 1024) * 10) / 10} KB`;
  return `${bytes} bytes`;
}

const tooLarge = (maxBytes: number) =>
  payloadTooLarge(
    `The file is larger than the import limit of ${formatBytes(maxBytes)} (IMPORT_MAX_BYTES).`,
  );
const cutOff = () =>
  badRequest(
    'The upload was cut off before its end, so nothing was saved. Send the whole file again.',
  );
const notMultipart = () => badRequest('The upload is not valid multipart/form-data.');

/** The request body ended early: the client went away, or busboy found no closing boundary. */
function isCutOff(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    code === 'ECONNRESET' ||
    code === 'ERR_STREAM_PREMATURE_CLOSE' ||
    (typeof message === 'string' && /^Unexpected end of (file|form)$/.test(message))
  );
}

export async function receiveUpload(req: IncomingMessage, limits: Limits): Promise<ReceivedUpload> {
  const declared = Number(req.headers['content-length']);
  // Far beyond the limit by its own account: no need to read it to refuse it.
  if (Number.isFinite(declared) && declared > limits.maxBytes + 1024 * 1024) {
    req.resume();
    throw tooLarge(limits.maxBytes);
  }
  if (/^multipart\/form-data/i.test(req.headers['content-type'] ?? '')) {
    return receiveMultipart(req, limits);
  }
  return { ...(await saveUpload(req, limits.dataDir, limits.maxBytes)), filename: '', fields: {} };
}

function receiveMultipart(req: IncomingMessage, limits: Limits): Promise<ReceivedUpload> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: req.headers,
        limits: {
          files: 1,
          fields: MAX_FIELDS,
          fieldSize: MAX_FIELD_BYTES,
          parts: MAX_FIELDS + 1,
          // One byte more than allowed: saveUpload sees the excess; busboy drops the rest.
          fileSize: limits.maxBytes + 1,
        },
      });
    } catch {
      reject(notMultipart());
      return;
    }
    // A signed-in form must carry its CSRF token as a field before the file.
    const csrf = uploadCsrfToken(req);
    let csrfChecked = csrf === undefined;
    const fields: Record<string, string> = {};
    let saving: Promise<{ path: string; size: number; filename: string }> | undefined;
    let failed: unknown;

    parser.on('field', (name, value) => {
      if (name !== '_csrf') fields[name] = value;
      else if (csrf !== undefined && csrfTokensMatch(value, csrf)) csrfChecked = true;
    });
    parser.on('file', (name, stream, info) => {
      // At once, before any await: busboy fails this stream when the body
      // ends mid-file, and an 'error' nobody listens to ends the process.
      stream.on('error', () => {});
      if (!csrfChecked) failed ??= csrfFailed();
      if (name !== 'file' || saving || failed !== undefined) {
        stream.resume();
        return;
      }
      saving = saveUpload(stream, limits.dataDir, limits.maxBytes).then(
        (saved) => ({ ...saved, filename: info.filename ?? '' }),
        (error: unknown) => {
          failed ??= error;
          stream.resume(); // drain what is left of this part so busboy reaches the end
          throw error;
        },
      );
      saving.catch(() => {});
    });
    parser.on('error', (error: Error) => {
      failed ??= isCutOff(error) ? cutOff() : notMultipart();
      req.unpipe(parser);
      req.resume();
      void finish();
    });
    parser.on('close', () => void finish());
    // The client stopped sending before the end: busboy would wait forever.
    req.on('close', () => {
      if (!req.complete) parser.destroy();
    });

    let finished = false;
    const finish = async () => {
      if (finished) return;
      finished = true;
      const saved = await saving?.catch(() => undefined);
      if (!csrfChecked) failed ??= csrfFailed();
      if (failed !== undefined) {
        if (saved) await removeUpload(saved.path);
        reject(failed);
      } else if (!saved) {
        reject(badRequest('Choose a file to import (a form field named "file").'));
      } else {
        resolve({ ...saved, fields });
      }
    };
    req.pipe(parser);
  });
}

/** Streams `source` to a new file in the uploads folder (see above for the limits). */
export async function saveUpload(
  source: AsyncIterable<Buffer> | Iterable<Buffer>,
  dataDir: string,
  maxBytes: number,
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
      if (size > maxBytes * 4) break; // over the limit, enough courtesy: stop reading
      if (size <= maxBytes) await out.write(chunk);
    }
  } catch (error) {
    await out.close().catch(() => {});
    await removeUpload(file);
    throw isCutOff(error) ? cutOff() : error;
  }
  await out.close();
  if (size > maxBytes) {
    await removeUpload(file);
    throw tooLarge(maxBytes);
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
