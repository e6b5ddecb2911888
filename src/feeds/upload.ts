/**
 * Reads an OPML upload: a multipart form's first file (the /feeds form, or
 * `curl -F opml=@subs.opml`) or a raw XML body. Kept in memory: OPML files
 * are small, and the cap below keeps them so. Over the cap the rest of the
 * body is read and dropped (up to a bound) so the client gets the 413 rather
 * than a reset connection; a body cut off before its end is a 400.
 */
import busboy from 'busboy';
import type { ParameterizedContext } from 'koa';
import { badRequest, payloadTooLarge, validationFailed } from '../errors';
import { csrfFailed, csrfTokensMatch, uploadCsrfToken } from '../web/middleware/csrf';

export const OPML_MAX_BYTES = 2 * 1024 * 1024;
/** Past this much, an over-size body is not worth reading to the end: the connection is closed. */
const DRAIN_MAX_BYTES = 4 * OPML_MAX_BYTES;

const tooLarge = () =>
  payloadTooLarge(`OPML files are at most ${OPML_MAX_BYTES / 1024 / 1024} MB.`);
const cutOff = () =>
  badRequest('The upload was cut off before its end. Send the whole OPML file again.');

function readRaw(ctx: ParameterizedContext): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    ctx.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_MAX_BYTES) ctx.req.destroy();
      else if (size <= OPML_MAX_BYTES) chunks.push(chunk);
    });
    ctx.req.on('end', () =>
      size > OPML_MAX_BYTES ? reject(tooLarge()) : resolve(Buffer.concat(chunks)),
    );
    ctx.req.on('error', () => reject(size > OPML_MAX_BYTES ? tooLarge() : cutOff()));
    ctx.req.on('close', () => {
      if (!ctx.req.complete) reject(size > OPML_MAX_BYTES ? tooLarge() : cutOff());
    });
  });
}

function readMultipart(ctx: ParameterizedContext): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const csrf = uploadCsrfToken(ctx.req);
    let csrfChecked = csrf === undefined;
    let file: Buffer | undefined;
    let failed = false;
    const fail = (error: Error) => {
      if (failed) return;
      failed = true;
      reject(error);
    };
    const parser = busboy({
      headers: ctx.req.headers,
      limits: { files: 1, fileSize: OPML_MAX_BYTES, fields: 10 },
    });
    parser.on('field', (name, value) => {
      if (name === '_csrf' && csrf !== undefined && csrfTokensMatch(value, csrf)) {
        csrfChecked = true;
      }
    });
    parser.on('file', (_name, stream) => {
      // Busboy fails this stream when the body ends mid-file: someone must listen.
      stream.on('error', () => fail(cutOff()));
      if (!csrfChecked) fail(csrfFailed());
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (!failed) chunks.push(chunk);
      });
      stream.on('limit', () => fail(tooLarge()));
      stream.on('end', () => {
        file = Buffer.concat(chunks);
      });
    });
    parser.on('error', (error: Error) => {
      fail(
        /^Unexpected end of (file|form)$/.test(error.message)
          ? cutOff()
          : validationFailed(`Unreadable upload: ${error.message}`),
      );
      ctx.req.unpipe(parser);
      ctx.req.resume();
    });
    parser.on('close', () => {
      if (failed) return;
      if (!csrfChecked) fail(csrfFailed());
      else if (!file || file.length === 0) fail(validationFailed('Choose an OPML file to import.'));
      else resolve(file);
    });
    ctx.req.on('close', () => {
      if (!ctx.req.complete) parser.destroy();
    });
    ctx.req.pipe(parser);
  });
}

export async function readOpmlUpload(ctx: ParameterizedContext): Promise<string> {
  // JSON and form bodies were already read by the global body parser: waiting
  // on the spent stream would hang until the server's request timeout.
  const parsed = (ctx.request as { rawBody?: string }).rawBody;
  if (parsed !== undefined) return parsed;
  if (ctx.req.readableEnded) return '';
  const declared = Number(ctx.req.headers['content-length']);
  // Far beyond the limit by its own account: refused without reading it.
  if (Number.isFinite(declared) && declared > DRAIN_MAX_BYTES) {
    ctx.req.resume();
    throw tooLarge();
  }
  const multipart = ctx.is('multipart/form-data') === 'multipart/form-data';
  const body = multipart ? await readMultipart(ctx) : await readRaw(ctx);
  return body.toString('utf8');
}
