/**
 * Receiving a file over HTTP, for every route that takes one (a bookmark
 * import, an OPML file): streamed to DATA_DIR/uploads (files.ts), from a
 * multipart form (busboy: the page forms, or `curl -F file=@…`) or from the
 * raw body. The rules are the same on every route:
 *
 * - a signed-in form carries its CSRF token as a field before the file (403);
 * - over the route's limit, a 413: refused from Content-Length when it says
 *   so, else the partial file is removed;
 * - a body cut off before its end is a 400, and so is a form without the file.
 *
 * A refused upload leaves no file behind, and the rest of its body is read
 * and dropped within src/web/discard-body.ts's bounds, so the client hears
 * the answer instead of a reset connection. A file that was received belongs
 * to the caller, who removes it (removeUpload) once it is not needed.
 */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import type { ParameterizedContext } from 'koa';
import { type AppError, badRequest, payloadTooLarge } from '../errors';
import { discardRestOfBody } from '../web/discard-body';
import { csrfFailed, csrfTokensMatch, uploadCsrfToken } from '../web/middleware/csrf';
import { cutOff, isCutOff, removeUpload, saveUpload } from './files';

export interface UploadRules {
  /** Uploads are written to `<dataDir>/uploads`. */
  readonly dataDir: string;
  readonly maxBytes: number;
  /** The 413's message. */
  readonly tooLarge: string;
  /** The multipart field that holds the file; the first file of any name when omitted. */
  readonly field?: string;
  /** The 400's message for a form without the file. */
  readonly missing: string;
}

export interface ReceivedUpload {
  readonly path: string;
  readonly size: number;
  /** The name the client gave the file; empty for a raw body. */
  readonly filename: string;
  /** Form fields (multipart); empty for a raw body. */
  readonly fields: Record<string, string>;
}

const MAX_FIELDS = 20;
const MAX_FIELD_BYTES = 8 * 1024;
/** A multipart body holds more than its file: boundaries, headers and fields. */
const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;

const notMultipart = () => badRequest('The upload is not valid multipart/form-data.');

/**
 * The request's file: a multipart form's, or the body itself. When it is
 * refused, the rest of the body is read and dropped first (discard-body.ts),
 * so a route may answer the error itself.
 */
export async function receiveUpload(
  ctx: ParameterizedContext,
  rules: UploadRules,
): Promise<ReceivedUpload> {
  try {
    return await receive(ctx, rules);
  } catch (error) {
    await discardRestOfBody(ctx.req);
    throw error;
  }
}

async function receive(ctx: ParameterizedContext, rules: UploadRules): Promise<ReceivedUpload> {
  const tooLarge = payloadTooLarge(rules.tooLarge);
  // A JSON or form body was already read by the global body parser (1 MB):
  // its text is the file. Waiting on the spent stream would hang.
  const raw = (ctx.request as { rawBody?: string }).rawBody;
  if (raw !== undefined) {
    const saved = await saveUpload([Buffer.from(raw)], rules.dataDir, rules.maxBytes, tooLarge);
    return { ...saved, filename: '', fields: {} };
  }
  const { req } = ctx;
  const multipart = /^multipart\/form-data/i.test(req.headers['content-type'] ?? '');
  // Over the limit by its own account: refused without reading it.
  const declared = Number(req.headers['content-length']);
  if (declared > rules.maxBytes + (multipart ? MULTIPART_OVERHEAD_BYTES : 0)) throw tooLarge;
  if (multipart) return receiveMultipart(req, rules, tooLarge);
  const saved = await saveUpload(req, rules.dataDir, rules.maxBytes, tooLarge);
  return { ...saved, filename: '', fields: {} };
}

function receiveMultipart(
  req: IncomingMessage,
  rules: UploadRules,
  tooLarge: AppError,
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
          fileSize: rules.maxBytes + 1,
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
      const wanted = rules.field === undefined || name === rules.field;
      if (!wanted || saving || failed !== undefined) {
        stream.resume();
        return;
      }
      saving = saveUpload(stream, rules.dataDir, rules.maxBytes, tooLarge).then(
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
        reject(badRequest(rules.missing));
      } else {
        resolve({ ...saved, fields });
      }
    };
    req.pipe(parser);
  });
}
