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

/** RFC 1950 header: deflate in a zlib wrapper, as the spec says; many servers send it raw. */
function hasZlibHeader(first: Buffer | null): boolean {
  return (
    first !== null &&
    first.length >= 2 &&
    (first[0]! & 0x0f) === 8 &&
    ((first[0]! << 8) | first[1]!) % 31 === 0
  );
}

function decoderFor(coding: string, first: Buffer | null): Transform | null {
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
      return hasZlibHeader(first) ? zlib.createInflate(flush) : zlib.createInflateRaw(flush);
    case 'br':
      return zlib.createBrotliDecompress({
        flush: zlib.constants.BROTLI_OPERATION_FLUSH,
        finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH,
      });
    default:
      throw new FetchError('http_error', `unsupported Content-Encoding "${coding}"`);
  }
}

function codingsOf(contentEncoding: string | undefined): string[] {
  return (contentEncoding ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity');
}

/**
 * Decoders in the order to apply them: the last coding listed was applied
 * last. `first` is the body's first bytes, to tell the two deflates apart
 * (only matters when deflate is the outermost coding).
 */
export function decodersFor(
  contentEncoding: string | undefined,
  first: Buffer | null,
): Transform[] {
  return codingsOf(contentEncoding)
    .reverse()
    .map((coding, index) => decoderFor(coding, index === 0 ? first : null))
    .filter((d): d is Transform => d !== null);
}

/** The first buffered bytes of a stream, put back so the pipeline still reads them. */
function peek(body: Readable): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const done = () => {
      body.off('readable', onReadable);
      body.off('end', onEnd);
      body.off('error', onError);
    };
    const onReadable = () => {
      done();
      const chunk = body.read() as Buffer | null;
      if (chunk) body.unshift(chunk);
      resolve(chunk);
    };
    const onEnd = () => {
      done();
      resolve(null);
    };
    const onError = (error: Error) => {
      done();
      reject(error);
    };
    body.on('readable', onReadable);
    body.on('end', onEnd);
    body.on('error', onError);
  });
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
    const outermost = codingsOf(options.contentEncoding).at(-1);
    const first = outermost === 'deflate' ? await peek(body) : null;
    decoders = decodersFor(options.contentEncoding, first);
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
