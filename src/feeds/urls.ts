import { validationFailed } from '../errors';

/** The feeds.url column's size. */
export const FEED_URL_MAX = 2048;

/**
 * A feed URL as stored: http(s) only, no fragment, at most 2048 characters.
 * A bare "example.com/feed" gets https://, as a browser's address bar would.
 */
export function normaliseFeedUrl(input: string): string {
  const trimmed = input.trim();
  if (trimmed === '') throw validationFailed('Enter the address of a feed or of a web page.');
  const withScheme = /^[a-z][a-z0-9+.-]*:/i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw validationFailed(
      'That is not a valid address: it should look like https://example.com/feed.',
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw validationFailed('Only http:// and https:// feeds can be followed.');
  }
  if (!url.hostname) throw validationFailed('The address has no host name.');
  url.hash = '';
  if (url.href.length > FEED_URL_MAX) {
    throw validationFailed(`Feed addresses are at most ${FEED_URL_MAX} characters.`);
  }
  return url.href;
}

/** normaliseFeedUrl, or null instead of an error (imports skip bad rows). */
export function tryNormaliseFeedUrl(input: string): string | null {
  try {
    return normaliseFeedUrl(input);
  } catch {
    return null;
  }
}
