/**
 * Reads an upload from an HTTP request without buffering it: multipart/form-data
 * (the /import form, or `curl -F file=@…`) through busboy, or a raw body (any
 * other content type) straight to disk. Over IMPORT_MAX_BYTES the partial file
 * is removed, the rest of the request is read and dropped (so the client gets
 * the 413 instead of a reset connection), and a 413 is thrown. A body cut off
 * before its end (the client stopped sending, or the multipart form has no
 * closing boundary) is a 400 and leaves no file behind.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { badRequest, payloadTooLarge } from '../errors';
import { csrfFailed, csrfTokensMatch, uploadCsrfToken } from '../web/middleware/csrf';
import { cutOffMessage, isCutOff, removeUpload, saveUpload, tooLargeMessage } from './uploads';

export interface ReceivedUpload {
  readonly path: string;
  readonly size: number;
  readonly filename: string;
  /** Form fields (multipart) or query parameters (raw body). */
  readonly fields: Record<string, string>;
}

const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 8 * 1024;

export function isMultipart(req: IncomingMessage): boolean {
  return /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
}

export async function receiveUpload(
  req: IncomingMessage,
  limits: { dataDir: string; maxBytes: number },
): Promise<ReceivedUpload> {
  const declared = Number(req.headers['content-length']);
  // Far beyond the limit by its own account: no need to read it to refuse it.
  if (Number.isFinite(declared) && declared > limits.maxBytes + 1024 * 1024) {
    req.resume();
    throw payloadTooLarge(tooLargeMessage(limits.maxBytes));
  }
  return isMultipart(req) ? receiveMultipart(req, limits) : receiveRaw(req, limits);
}

async function receiveRaw(
  req: IncomingMessage,
  limits: { dataDir: string; maxBytes: number },
): Promise<ReceivedUpload> {
  try {
    const saved = await saveUpload(req, limits.dataDir, limits.maxBytes);
    return { ...saved, filename: '', fields: {} };
  } catch (error) {
    if (isCutOff(error)) throw badRequest(cutOffMessage);
    throw error;
  }
}

function receiveMultipart(
  req: IncomingMessage,
  limits: { dataDir: string; maxBytes: number },
): Promise<ReceivedUpload> {
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
      reject(badRequest('The upload is not valid multipart/form-data.'));
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
          failed ??= isCutOff(error) ? badRequest(cutOffMessage) : error;
          stream.resume(); // drain what is left of this part so busboy reaches the end
          throw error;
        },
      );
      saving.catch(() => {});
    });
    parser.on('error', (error: Error) => {
      failed ??= isCutOff(error)
        ? badRequest(cutOffMessage)
        : badRequest('The upload is not valid multipart/form-data.');
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
