/**
 * The one way this app fetches a URL it was given by a user or a feed: the
 * address guard (see connector.ts), connect and total timeouts, a cap on
 * decompressed bytes, at most 5 redirects followed by hand (each hop goes
 * through the guard), a clear User-Agent, conditional GET, and Retry-After.
 * Every failure is a FetchError with a kind from one closed set.
 */
import { Agent, type Dispatcher } from 'undici';
import type { classifyAddress, guardedLookup } from './address-guard';
import { ACCEPT_ENCODING, readCappedBody } from './body';
import { createGuardedConnector } from './connector';
import { BlockedAddressError, FetchError } from './errors';
import { parseRetryAfter } from './retry-after';

export interface FetcherConfig {
  readonly allowPrivateNetworks: boolean;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly userAgent: string;
}

export interface FetchOptions {
  /** Sent as If-None-Match. */
  readonly etag?: string | null;
  /** Sent as If-Modified-Since. */
  readonly lastModified?: string | null;
  readonly accept?: string;
  /** Defaults to the fetcher's config. */
  readonly maxBytes?: number;
  /** Total time for all hops and the body. Defaults to the fetcher's config. */
  readonly timeoutMs?: number;
}

export interface FetchResult {
  readonly status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  /** Decompressed. Empty for a 304. */
  readonly body: Buffer;
  readonly finalUrl: string;
  /** A 304: the stored copy is current. */
  readonly notModified: boolean;
  /** At least one redirect, all of them 301 or 308. */
  readonly redirectedPermanently: boolean;
  readonly retryAfterSeconds: number | null;
}

export interface Fetcher {
  fetch(url: string, options?: FetchOptions): Promise<FetchResult>;
  close(): Promise<void>;
}

export const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const PERMANENT = new Set([301, 308]);

export interface FetcherOptions {
  /** Defaults to the smaller of the total timeout and 5 s. */
  readonly connectTimeoutMs?: number;
  /** For tests only: see createGuardedConnector. */
  readonly lookup?: typeof guardedLookup;
  /** For tests only: see createGuardedConnector. */
  readonly classify?: typeof classifyAddress;
}

export function createFetcher(config: FetcherConfig, options: FetcherOptions = {}): Fetcher {
  const connectTimeoutMs = options.connectTimeoutMs ?? Math.min(config.timeoutMs, 5_000);
  const agent = new Agent({
    connect: createGuardedConnector({
      connectTimeoutMs,
      allowPrivateNetworks: config.allowPrivateNetworks,
      lookup: options.lookup,
      classify: options.classify,
    }),
    headersTimeout: config.timeoutMs,
    bodyTimeout: config.timeoutMs,
    connections: 16,
  });
  return {
    fetch: (url, fetchOptions = {}) => fetchGuarded(agent, config, url, fetchOptions),
    close: () => agent.close(),
  };
}

function parseHttpUrl(raw: string, base?: string): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new FetchError('blocked', `not a valid URL: ${raw.slice(0, 200)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchError('blocked', `only http and https URLs are fetched, not ${url.protocol}`);
  }
  url.hash = '';
  return url;
}

function flattenHeaders(headers: Dispatcher.ResponseData['headers']): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
  }
  return flat;
}

async function fetchGuarded(
  agent: Agent,
  config: FetcherConfig,
  rawUrl: string,
  options: FetchOptions,
): Promise<FetchResult> {
  const timeoutMs = options.timeoutMs ?? config.timeoutMs;
  const maxBytes = options.maxBytes ?? config.maxBytes;
  const signal = AbortSignal.timeout(timeoutMs);
  let url = parseHttpUrl(rawUrl);
  const requestHeaders: Record<string, string> = {
    'user-agent': config.userAgent,
    accept: options.accept ?? '*/*',
    'accept-encoding': ACCEPT_ENCODING,
  };
  // Kept on every hop: a feed that always redirects (302) to its real home
  // is conditional there, where the validators came from.
  if (options.etag) requestHeaders['if-none-match'] = options.etag;
  if (options.lastModified) requestHeaders['if-modified-since'] = options.lastModified;

  let permanent = true;
  try {
    for (let hop = 0; ; hop++) {
      const response = await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: requestHeaders,
        signal,
      });
      const headers = flattenHeaders(response.headers);
      const status = response.statusCode;
      const location = headers.location;
      if (REDIRECTS.has(status) && location) {
        await discard(response.body);
        if (hop >= MAX_REDIRECTS) {
          throw new FetchError('http_error', `too many redirects (more than ${MAX_REDIRECTS})`, {
            status,
            url: url.href,
          });
        }
        permanent &&= PERMANENT.has(status);
        url = parseHttpUrl(location, url.href);
        continue;
      }
      const base = {
        status,
        headers,
        finalUrl: url.href,
        redirectedPermanently: hop > 0 && permanent,
        retryAfterSeconds: parseRetryAfter(headers['retry-after']),
      };
      if (status === 304) {
        await discard(response.body);
        return { ...base, body: Buffer.alloc(0), notModified: true };
      }
      if (status < 200 || status > 299) {
        await discard(response.body);
        throw statusError(status, url.href, base.retryAfterSeconds);
      }
      const body = await readCappedBody({
        body: response.body,
        contentEncoding: headers['content-encoding'],
        maxBytes,
        signal,
        url: url.href,
      });
      return { ...base, body, notModified: false };
    }
  } catch (error) {
    throw toFetchError(error, url.href, signal, timeoutMs);
  }
}

/** Frees the connection without reading an unbounded body. */
async function discard(body: Dispatcher.ResponseData['body']): Promise<void> {
  await body.dump({ limit: 64 * 1024 }).catch(() => {});
}

function statusError(status: number, url: string, retryAfterSeconds: number | null): FetchError {
  const details = { status, url, retryAfterSeconds };
  if (status === 404) return new FetchError('not_found', 'HTTP 404 Not Found', details);
  if (status === 410) return new FetchError('gone', 'HTTP 410 Gone', details);
  return new FetchError('http_error', `HTTP ${status}`, details);
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

/** The errors inside an error: its cause chain and an AggregateError's members. */
function* errorChain(error: unknown, depth = 0): Generator<unknown> {
  if (error === undefined || error === null || depth > 5) return;
  yield error;
  if (error instanceof AggregateError) {
    for (const inner of error.errors) yield* errorChain(inner, depth + 1);
  }
  if (error instanceof Error && 'cause' in error) yield* errorChain(error.cause, depth + 1);
}

function toFetchError(
  error: unknown,
  url: string,
  signal: AbortSignal,
  timeoutMs: number,
): FetchError {
  for (const inner of errorChain(error)) {
    if (inner instanceof FetchError) return inner;
    if (inner instanceof BlockedAddressError) {
      return new FetchError('blocked', inner.message, { url, cause: error });
    }
  }
  if (signal.aborted) {
    return new FetchError('timeout', `timed out after ${timeoutMs} ms`, { url, cause: error });
  }
  for (const inner of errorChain(error)) {
    const code = (inner as { code?: unknown }).code;
    if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
      return new FetchError('timeout', `timed out (${code})`, { url, cause: error });
    }
    if (typeof code === 'string' && (code.startsWith('Z_') || code.startsWith('ERR__'))) {
      return new FetchError('http_error', 'the response body could not be decompressed', {
        url,
        cause: error,
      });
    }
  }
  const message = error instanceof Error ? error.message : String(error);
  return new FetchError('network_error', `network error: ${message}`, { url, cause: error });
}
