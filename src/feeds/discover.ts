/**
 * Feed autodiscovery: from a page, the feeds it advertises with
 * <link rel="alternate"> and, failing those, <a> links that look like feeds.
 * Only candidates that fetch and parse as a feed are kept.
 */
import { type Fetcher, isFetchError } from '../fetcher';
import { parseBoundedHtml } from '../html';
import { type FeedFormat, FeedParseError, parseFeedDocument } from './parser';
import { plainTitle } from './processor';

const FEED_TYPES = new Set([
  'application/rss+xml',
  'application/atom+xml',
  'application/feed+json',
  'application/rdf+xml',
  'application/json',
  'application/xml',
  'text/xml',
]);
const FEEDISH_HREF =
  /(^|[/._-])(rss|atom|feeds?|index\.xml|rdf)([/._?-]|$)|\.(rss|atom|xml)(\?|$)/i;
const MAX_CANDIDATES = 8;

/** Candidate feed URLs in a page, advertised ones first. Pure. */
export function discoverFeedLinks(html: string, pageUrl: string): string[] {
  const advertised: string[] = [];
  const anchors: string[] = [];
  let base = pageUrl;
  parseBoundedHtml(
    html,
    {
      onopentag(name, attributes) {
        if (name === 'base' && attributes.href) {
          try {
            base = new URL(attributes.href, pageUrl).href;
          } catch {
            // an unusable <base> is ignored, as browsers do
          }
        }
        const rel = (attributes.rel ?? '').toLowerCase().split(/\s+/);
        const type = (attributes.type ?? '').toLowerCase().split(';')[0]!.trim();
        if (
          name === 'link' &&
          rel.includes('alternate') &&
          FEED_TYPES.has(type) &&
          attributes.href
        ) {
          advertised.push(attributes.href);
        } else if (name === 'a' && attributes.href && FEEDISH_HREF.test(attributes.href)) {
          anchors.push(attributes.href);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  const seen = new Set<string>();
  const result: string[] = [];
  for (const href of [...advertised, ...anchors]) {
    let url: URL;
    try {
      url = new URL(href.trim(), base);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    url.hash = '';
    if (seen.has(url.href)) continue;
    seen.add(url.href);
    result.push(url.href);
  }
  return result.slice(0, MAX_CANDIDATES);
}

export interface FoundFeed {
  /** Where the feed was found (after redirects). */
  readonly url: string;
  readonly title: string | null;
  readonly format: FeedFormat;
}

const ACCEPT_PAGE_OR_FEED =
  'application/feed+json, application/atom+xml, application/rss+xml, text/html;q=0.9, */*;q=0.5';

function tryParse(body: Buffer, contentType: string | undefined) {
  try {
    return parseFeedDocument(body, contentType);
  } catch (error) {
    if (error instanceof FeedParseError) return null;
    throw error;
  }
}

/**
 * The feeds at `url`: the URL itself when it is a feed, else the page's
 * candidates that parse, at most `max`. A failure to fetch `url` itself is
 * thrown (a FetchError); failing candidates are skipped.
 */
export async function findFeeds(
  fetcher: Fetcher,
  url: string,
  options: { readonly max?: number; readonly timeoutMs?: number } = {},
): Promise<FoundFeed[]> {
  const max = options.max ?? 3;
  const page = await fetcher.fetch(url, {
    accept: ACCEPT_PAGE_OR_FEED,
    timeoutMs: options.timeoutMs,
  });
  const direct = tryParse(page.body, page.headers['content-type']);
  if (direct)
    return [
      {
        url: page.finalUrl,
        title: plainTitle(direct.title, direct.titleType),
        format: direct.format,
      },
    ];
  const html = page.body.toString('utf8');
  const found: FoundFeed[] = [];
  for (const candidate of discoverFeedLinks(html, page.finalUrl)) {
    if (found.length >= max) break;
    try {
      const response = await fetcher.fetch(candidate, {
        accept: ACCEPT_PAGE_OR_FEED,
        timeoutMs: options.timeoutMs,
      });
      const parsed = tryParse(response.body, response.headers['content-type']);
      if (parsed && !found.some((f) => f.url === response.finalUrl)) {
        found.push({
          url: response.finalUrl,
          title: plainTitle(parsed.title, parsed.titleType),
          format: parsed.format,
        });
      }
    } catch (error) {
      if (!isFetchError(error)) throw error;
    }
  }
  return found;
}
