/**
 * Reads a response body through its Content-Encoding decoders, counting the
 * bytes that come OUT of them: a 10 kB gzip bomb that inflates to gigabytes
 * stops at the cap, not after filling memory.
 */
import { type Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { FetchError } from './errors';

export const ACCEPT_ENCODING = 'gzip, deflate, br';

function decoderFor(coding: string): Transform | null {
  // Flush options let a truncated but otherwise fine stream yield what it has.
  const flush = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
  switch (coding) {
    case 'identity':
    case '':
      return null;
    case 'gzip':
    case 'x-gzip':
      return zlib.createGunzip(flush);
    case 'deflate':
      // Servers send both zlib-wrapped and raw deflate under this name.
      return zlib.createUnzip(flush);
    case 'br':
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    default:
      throw new FetchError('http_error', `unsupported Content-Encoding "${coding}"`);
  }
}

/** Decoders in the order to apply them: the last coding listed was applied last. */
export function decodersFor(contentEncoding: string | undefined): Transform[] {
  const codings = (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .reverse();
  return codings.map(decoderFor).filter((d): d is Transform => d !== null);
}

export async function readCappedBody(options: {
  readonly body: Readable;
  readonly contentEncoding: string | undefined;
  readonly maxBytes: number;
  readonly signal: AbortSignal;
  readonly url: string;
}): Promise<Buffer> {
  const { body, maxBytes, url } = options;
  const tooLarge = () =>
    new FetchError('too_large', `response body is larger than ${maxBytes} bytes`, { url });
  let decoders: Transform[];
  try {
    decoders = decodersFor(options.contentEncoding);
  } catch (error) {
    body.destroy();
    throw error;
  }
  // Raw bytes are capped too: an endless stream of incompressible data.
  let rawBytes = 0;
  const countRaw = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      rawBytes += chunk.length;
      callback(rawBytes > maxBytes ? tooLarge() : null, chunk);
    },
  });
  const chunks: Buffer[] = [];
  let total = 0;
  const collect = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      if (total > maxBytes) {
        callback(tooLarge());
        return;
      }
      chunks.push(chunk);
      callback();
    },
  });
  await pipeline([body, countRaw, ...decoders, collect], { signal: options.signal });
  return Buffer.concat(chunks, total);
}
