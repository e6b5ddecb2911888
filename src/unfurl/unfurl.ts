/**
 * Unfurling one page: fetch it through the guarded fetcher, decode it, pull
 * out its metadata, and find its feeds. Failures are outcomes, not
 * exceptions: a page that cannot be read is normal on the web.
 */
import { recordUnfurl, type UnfurlStatus } from '../bookmarks';
import { FeedParseError, parseFeedDocument } from '../feeds';
import { type FetchErrorKind, type Fetcher, isFetchError } from '../fetcher';
import { decodeHtml, isHtml } from './decode';
import { extractMetadata, type PageMetadata } from './extract';

export type UnfurlOutcome =
  | {
      readonly ok: true;
      readonly finalUrl: string;
      readonly metadata: PageMetadata;
      /** Feeds found, the primary first: declared ones, then checked <a> links. */
      readonly feeds: string[];
    }
  | {
      readonly ok: false;
      readonly status: Exclude<UnfurlStatus, 'success'>;
      readonly error: string;
    };

export interface UnfurlOptions {
  /** Total time for the page; the quick form pre-fill uses a short one. */
  readonly timeoutMs?: number;
  /** Check likely <a> feed links when the page declares none (more fetches). */
  readonly checkFeedCandidates?: boolean;
}

const HTML_ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.5';
const FEED_ACCEPT =
  'application/atom+xml, application/rss+xml, application/feed+json, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5';
const MAX_CANDIDATES = 3;
const CANDIDATE_TIMEOUT_MS = 3_000;
const CANDIDATE_MAX_BYTES = 2 * 1024 * 1024;
const MAX_FEED_URL = 2048;

function statusOf(kind: FetchErrorKind): Exclude<UnfurlStatus, 'success'> {
  switch (kind) {
    case 'timeout':
    case 'too_large':
    case 'blocked':
    case 'network_error':
      return kind;
    default:
      return 'http_error';
  }
}

export async function unfurlPage(
  fetcher: Fetcher,
  url: string,
  options: UnfurlOptions = {},
): Promise<UnfurlOutcome> {
  const started = process.hrtime.bigint();
  const outcome = await fetchAndExtract(fetcher, url, options.timeoutMs);
  recordUnfurl(
    outcome.ok ? 'success' : outcome.status,
    Number(process.hrtime.bigint() - started) / 1e9,
  );
  if (!outcome.ok) return outcome;
  const declared = outcome.metadata.feedLinks;
  const checked =
    declared.length === 0 && options.checkFeedCandidates
      ? await checkCandidates(fetcher, outcome.metadata.feedCandidates)
      : [];
  const feeds = [...declared, ...checked].filter((feed) => feed.length <= MAX_FEED_URL);
  return { ...outcome, feeds };
}

async function fetchAndExtract(
  fetcher: Fetcher,
  url: string,
  timeoutMs: number | undefined,
): Promise<UnfurlOutcome> {
  let result: Awaited<ReturnType<Fetcher['fetch']>>;
  try {
    result = await fetcher.fetch(url, { accept: HTML_ACCEPT, timeoutMs });
  } catch (error) {
    if (!isFetchError(error)) throw error;
    return { ok: false, status: statusOf(error.kind), error: error.message };
  }
  const contentType = result.headers['content-type'];
  if (!isHtml(result.body, contentType)) {
    return {
      ok: false,
      status: 'not_html',
      error: `not an HTML page (${contentType?.split(';')[0] || 'no content type'})`,
    };
  }
  try {
    const html = decodeHtml(result.body, contentType);
    return {
      ok: true,
      finalUrl: result.finalUrl,
      metadata: extractMetadata(html, result.finalUrl),
      feeds: [],
    };
  } catch (error) {
    return { ok: false, status: 'parse_error', error: `could not read the page: ${String(error)}` };
  }
}

function parsesAsFeed(body: Buffer, contentType: string | undefined): boolean {
  try {
    parseFeedDocument(body, contentType);
    return true;
  } catch (error) {
    if (error instanceof FeedParseError) return false;
    throw error;
  }
}

/** Likely feed links are kept only if they fetch and parse as a feed. */
async function checkCandidates(fetcher: Fetcher, candidates: readonly string[]): Promise<string[]> {
  const checks = candidates.slice(0, MAX_CANDIDATES).map(async (candidate) => {
    try {
      const result = await fetcher.fetch(candidate, {
        accept: FEED_ACCEPT,
        timeoutMs: CANDIDATE_TIMEOUT_MS,
        maxBytes: CANDIDATE_MAX_BYTES,
      });
      return parsesAsFeed(result.body, result.headers['content-type'])
        ? result.finalUrl
        : undefined;
    } catch {
      return undefined;
    }
  });
  return (await Promise.all(checks)).filter((feed): feed is string => feed !== undefined);
}
