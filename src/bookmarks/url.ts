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
  const url = typeof input === 'string' ? parseBookmarkUrl(input) : new URL(input.href);
  url.hostname = url.hostname.toLowerCase();
  // URL already drops :80 for http and :443 for https.
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) {
    url.pathname = url.pathname.replace(/\/+$/, '') || '/';
  }
  const kept = [...url.searchParams].filter(
    ([key]) => !key.toLowerCase().startsWith('utm_') && !TRACKING_PARAMS.has(key.toLowerCase()),
  );
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  url.search = new URLSearchParams(kept).toString();
  return url.href;
}

export function urlHash(input: string | URL): string {
  return createHash('sha256').update(normalizeUrl(input)).digest('hex');
}
