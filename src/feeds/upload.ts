/**
 * Reads an OPML upload: a multipart form's first file (the /feeds form, or
 * `curl -F opml=@subs.opml`) or a raw XML body. Kept in memory: OPML files
 * are small, and the cap below keeps them so.
 */
import busboy from 'busboy';
import type { ParameterizedContext } from 'koa';
import { payloadTooLarge, validationFailed } from '../errors';

export const OPML_MAX_BYTES = 2 * 1024 * 1024;

const tooLarge = () =>
  payloadTooLarge(`OPML files are at most ${OPML_MAX_BYTES / 1024 / 1024} MB.`);

function readRaw(ctx: ParameterizedContext): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    ctx.req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > OPML_MAX_BYTES) {
        ctx.req.destroy();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    ctx.req.on('end', () => resolve(Buffer.concat(chunks)));
    ctx.req.on('error', reject);
  });
}

function readMultipart(ctx: ParameterizedContext): Promise<Buffer> {
  return new Promise((resolve, reject) => {
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
    parser.on('file', (_name, stream) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => fail(tooLarge()));
      stream.on('end', () => {
        file = Buffer.concat(chunks);
      });
    });
    parser.on('error', (error: Error) =>
      fail(validationFailed(`Unreadable upload: ${error.message}`)),
    );
    parser.on('close', () => {
      if (failed) return;
      if (!file || file.length === 0) fail(validationFailed('Choose an OPML file to import.'));
      else resolve(file);
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
  const multipart = ctx.is('multipart/form-data') === 'multipart/form-data';
  const body = multipart ? await readMultipart(ctx) : await readRaw(ctx);
  return body.toString('utf8');
}
