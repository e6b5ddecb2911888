/**
 * URL identity for bookmarks: two spellings of one page get one hash, so
 * saving a URL the owner already has edits that bookmark instead of adding a
 * second one. Rules from the original app: lower-case host, no default port,
 * no trailing slash (except the bare "/"), no tracking parameters, sorted
 * query keys, fragment kept.
 */
import { createHash } from 'node:crypto';

export const MAX_URL_LENGTH = 10_240;

const TRACKING_PARAMS = new Set(['fbclid', 'gclid', 'msclkid', 'twclid', 'ref', 'referrer']);

export class InvalidUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidUrlError';
  }
}

/** Parses a user-given URL; only http(s) with a host, at most MAX_URL_LENGTH. */
export function parseBookmarkUrl(input: string): URL {
  const trimmed = input.trim();
  if (trimmed === '') throw new InvalidUrlError('Enter a URL.');
  if (trimmed.length > MAX_URL_LENGTH) {
    throw new InvalidUrlError(`URLs are at most ${MAX_URL_LENGTH} characters.`);
  }
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new InvalidUrlError(
      'That is not a valid URL: it should look like https://example.com/page.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidUrlError('Only http:// and https:// URLs can be bookmarked.');
  }
  if (!url.hostname) throw new InvalidUrlError('The URL has no host name.');
  return url;
}

export function normalizeUrl(input: string | URL): string {
  return normalizeParsedUrl(
    typeof input === 'string' ? parseBookmarkUrl(input) : new URL(input.href),
  );
}

/**
 * normalizeUrl for a URL the caller owns (it may be changed). Imports
 * normalise hundreds of thousands of URLs, and every URL setter parses the
 * whole URL again: a part is set only when it changes, and a query of plain
 * `name=value` pairs is rewritten as text.
 */
export function normalizeParsedUrl(url: URL): string {
  const hostname = url.hostname;
  // WHATWG URL already lower-cases http(s) hosts; kept for any other input.
  const lower = hostname.toLowerCase();
  if (lower !== hostname) url.hostname = lower;
  // URL already drops :80 for http and :443 for https.
  const pathname = url.pathname;
  if (pathname.length > 1 && pathname.endsWith('/')) {
    url.pathname = pathname.replace(/\/+$/, '') || '/';
  }
  const href = url.href;
  // The first "?" starts the query: elsewhere before it, it is percent-encoded.
  const question = href.indexOf('?');
  const hash = href.indexOf('#');
  if (question === -1 || (hash !== -1 && hash < question)) return href;
  const end = hash === -1 ? href.length : hash;
  const query = href.slice(question + 1, end);
  const kept = keptPlainQuery(query) ?? keptQuery(url.searchParams);
  // An empty query ("page?") goes too.
  if (kept === query && query !== '') return href;
  return `${href.slice(0, kept === '' ? question : question + 1)}${kept}${href.slice(end)}`;
}

/**
 * Letters, digits, `*-._`, and `=` and `&` between them: what URLSearchParams
 * reads and writes back unchanged (with at most one "=" a pair), so such a
 * query can be handled as text. Anything else (%, +, other characters) goes
 * through URLSearchParams.
 */
const PLAIN_QUERY = /^[A-Za-z0-9*\-._=&]*$/;

function isTracking(key: string): boolean {
  const lower = key.toLowerCase();
  return lower.startsWith('utm_') || TRACKING_PARAMS.has(lower);
}

function byKey(a: readonly [string, string], b: readonly [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

/** The query without tracking parameters, sorted by key (stable), as URLSearchParams writes it. */
function keptQuery(params: URLSearchParams): string {
  const kept = [...params].filter(([key]) => !isTracking(key));
  kept.sort(byKey);
  return new URLSearchParams(kept).toString();
}

/** keptQuery for a PLAIN_QUERY, without URLSearchParams; undefined for any other query. */
function keptPlainQuery(query: string): string | undefined {
  if (!PLAIN_QUERY.test(query)) return undefined;
  const kept: Array<[string, string]> = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue; // URLSearchParams skips empty pairs
    const equals = pair.indexOf('=');
    // A second "=" is part of the value, which URLSearchParams writes as %3D.
    if (equals !== -1 && pair.indexOf('=', equals + 1) !== -1) return undefined;
    const key = equals === -1 ? pair : pair.slice(0, equals);
    if (!isTracking(key)) kept.push([key, equals === -1 ? '' : pair.slice(equals + 1)]);
  }
  kept.sort(byKey);
  let out = '';
  for (const [key, value] of kept) out += `${out === '' ? '' : '&'}${key}=${value}`;
  return out;
}

export function urlHash(input: string | URL): string {
  return createHash('sha256').update(normalizeUrl(input)).digest('hex');
}
