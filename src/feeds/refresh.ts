/**
 * Refreshes one feed: fetch (conditional, guarded) → parse → process → store,
 * then records the outcome on the feed row (status, error count, next poll,
 * disabling) and in the metrics. A broken feed is data, not an exception:
 * only an unexpected failure (the database) throws, so the job is retried.
 */
import type { Knex } from 'knex';
import type { Config } from '../config';
import { afterCommit } from '../db/after-commit';
import { type Fetcher, type FetchResult, isFetchError } from '../fetcher';
import { nextPollDelayMs } from './backoff';
import { createHostLimiter, type HostLimiter, hostOf } from './host-limiter';
import { type FeedPollStatus, recordFeedPoll } from './metrics';
import { Feed } from './models';
import { FeedParseError, parseFeedDocument } from './parser';
import { type ProcessedFeed, processFeed } from './processor';
import { upsertItems } from './store';

export const FEED_ACCEPT =
  'application/feed+json, application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, ' +
  'application/json;q=0.8, application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5';

const LAST_ERROR_MAX = 1000;

export interface RefreshDeps {
  readonly knex: Knex;
  readonly fetcher: Fetcher;
  readonly config: Pick<Config, 'feeds' | 'fetch'>;
  readonly limiter?: HostLimiter;
  readonly now?: () => Date;
}

export interface RefreshOutcome {
  readonly feedId: number;
  /** 'skipped': the feed is gone or disabled; nothing was fetched or counted. */
  readonly status: FeedPollStatus | 'skipped';
  readonly newItems: number;
  readonly error: string | null;
  readonly disabled: boolean;
  readonly url: string | null;
}

type Attempt =
  | { readonly status: 'success'; readonly result: FetchResult; readonly feed: ProcessedFeed }
  | { readonly status: 'not_modified'; readonly result: FetchResult }
  | {
      readonly status: Exclude<FeedPollStatus, 'success' | 'not_modified'>;
      readonly error: string;
      readonly retryAfterSeconds: number | null;
    };

const unlimited = createHostLimiter(Number.MAX_SAFE_INTEGER);

async function attempt(deps: RefreshDeps, feed: FeedRow, now: Date): Promise<Attempt> {
  let result: FetchResult;
  try {
    result = await (deps.limiter ?? unlimited).run(hostOf(feed.url), () =>
      deps.fetcher.fetch(feed.url, {
        etag: feed.etag,
        lastModified: feed.modified,
        accept: FEED_ACCEPT,
        maxBytes: deps.config.fetch.maxBytes,
      }),
    );
  } catch (error) {
    if (!isFetchError(error)) throw error;
    return { status: error.kind, error: error.message, retryAfterSeconds: error.retryAfterSeconds };
  }
  if (result.notModified) return { status: 'not_modified', result };
  try {
    const parsed = parseFeedDocument(result.body, result.headers['content-type']);
    const processed = processFeed(parsed, {
      maxItems: deps.config.feeds.maxItems,
      feedUrl: result.finalUrl,
      now,
    });
    return { status: 'success', result, feed: processed };
  } catch (error) {
    if (!(error instanceof FeedParseError)) throw error;
    return { status: 'parse_error', error: error.message, retryAfterSeconds: null };
  }
}

/**
 * The feed row with its row version (xmin), which changes on every write to
 * the row. A plain row (knex, not objection): this read and the 304 write are
 * all most polls do, and the model layer was a good part of their CPU.
 */
type FeedRow = Pick<
  Feed,
  | 'id'
  | 'url'
  | 'title'
  | 'newest_item_date'
  | 'disabled'
  | 'etag'
  | 'modified'
  | 'metadata'
  | 'error_count'
  | 'last_error'
  | 'last_status'
  | 'last_polled_at'
  | 'next_poll_at'
  | 'created_at'
  | 'updated_at'
>;
type VersionedFeed = FeedRow & { readonly row_version: string };

async function readFeed(knex: Knex, feedId: number): Promise<VersionedFeed | undefined> {
  return knex<VersionedFeed>('feeds')
    .select('*', knex.raw('xmin::text as row_version'))
    .where('id', feedId)
    .first();
}

export async function refreshFeed(
  deps: RefreshDeps,
  input: { readonly feedId: number },
): Promise<RefreshOutcome> {
  const clock = deps.now ?? (() => new Date());
  const started = process.hrtime.bigint();
  const feed = await readFeed(deps.knex, input.feedId);
  if (!feed || feed.disabled) {
    return {
      feedId: input.feedId,
      status: 'skipped',
      newItems: 0,
      error: null,
      disabled: feed?.disabled ?? false,
      url: feed?.url ?? null,
    };
  }
  const outcome = await attempt(deps, feed, clock());
  const record = () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    recordFeedPoll(outcome.status, seconds);
  };
  if (outcome.status !== 'success' && !movesFeed(feed, outcome)) {
    const recorded = await recordWithoutItems(deps, feed, outcome, clock());
    if (recorded) {
      record();
      return recorded;
    }
  }
  return deps.knex.transaction(async (trx) => {
    const current = await Feed.query(trx).findById(feed.id).forUpdate();
    if (!current) {
      return { ...base(feed), status: 'skipped' as const, newItems: 0, error: null };
    }
    const now = clock();
    const recorded =
      outcome.status === 'success' || outcome.status === 'not_modified'
        ? await recordSuccess(trx, deps, current, outcome, now)
        : await recordFailure(trx, deps, current, outcome, now);
    afterCommit(trx, record);
    return recorded;
  });
}

function movesFeed(feed: FeedRow, outcome: Attempt): boolean {
  return 'result' in outcome && outcome.result.redirectedPermanently
    ? outcome.result.finalUrl !== feed.url
    : false;
}

/**
 * A 304 or a failure writes only the feed row: one conditional UPDATE of the
 * row as it was read (same xmin), with no transaction and no second read.
 * When anything wrote the row in between (a user re-enabling it, the
 * scheduler's lease, a delete), nothing is written and null is answered: the
 * caller then takes the locked path, which decides on the current row.
 */
async function recordWithoutItems(
  deps: RefreshDeps,
  feed: VersionedFeed,
  outcome: Exclude<Attempt, { status: 'success' }>,
  now: Date,
): Promise<RefreshOutcome | null> {
  const write =
    outcome.status === 'not_modified'
      ? {
          patch: successPatch(deps, outcome, now),
          recorded: { ...base(feed), status: outcome.status, newItems: 0, error: null },
        }
      : failureWrite(deps, feed, outcome, now);
  // What Feed's hooks would do: updated_at (the database counts the write).
  const updated = await deps
    .knex('feeds')
    .update({ ...write.patch, updated_at: new Date() })
    .where('id', feed.id)
    .whereRaw('xmin = ?::xid', [feed.row_version]);
  if (updated !== 1) return null;
  return write.recorded;
}

function base(feed: FeedRow) {
  return { feedId: feed.id, disabled: feed.disabled, url: feed.url };
}

/** What any answered poll (200 or 304) writes on the feed row. */
function successPatch(
  deps: RefreshDeps,
  outcome: Extract<Attempt, { status: 'success' | 'not_modified' }>,
  now: Date,
): Partial<Feed> {
  const due = new Date(
    now.getTime() +
      nextPollDelayMs({
        errorCount: 0,
        intervalMinutes: deps.config.feeds.pollIntervalMinutes,
        retryAfterSeconds: outcome.result.retryAfterSeconds,
      }),
  );
  return {
    error_count: 0,
    last_error: null,
    last_status: outcome.status,
    last_polled_at: now,
    next_poll_at: due,
    poll_due_at: due,
  };
}

async function recordSuccess(
  trx: Knex.Transaction,
  deps: RefreshDeps,
  feed: Feed,
  outcome: Extract<Attempt, { status: 'success' | 'not_modified' }>,
  now: Date,
): Promise<RefreshOutcome> {
  const { result } = outcome;
  const patch = successPatch(deps, outcome, now);
  let newItems = 0;
  if (outcome.status === 'success') {
    const stored = await upsertItems(trx, feed.id, outcome.feed.items, now);
    newItems = stored.inserted;
    const newest = outcome.feed.newestItemDate ?? (newItems > 0 ? now : null);
    Object.assign(patch, {
      title: outcome.feed.title || feed.title,
      metadata: outcome.feed.metadata,
      // Validators from this response only: stale ones would make every poll a 200.
      etag: result.headers.etag?.slice(0, 1024) ?? null,
      modified: result.headers['last-modified']?.slice(0, 255) ?? null,
      newest_item_date:
        newest && (!feed.newest_item_date || newest > feed.newest_item_date)
          ? newest
          : feed.newest_item_date,
    });
  }
  const url = await movedUrl(trx, feed, result);
  if (url) patch.url = url;
  await Feed.query(trx).patch(patch).where('id', feed.id);
  return { ...base(feed), url: url ?? feed.url, status: outcome.status, newItems, error: null };
}

/**
 * A permanent redirect moves the feed, unless another feed already has the
 * new URL (two feeds cannot share one). Bookmarks follow it: they are linked
 * to their feed by URL.
 */
async function movedUrl(
  trx: Knex.Transaction,
  feed: Feed,
  result: FetchResult,
): Promise<string | null> {
  if (!result.redirectedPermanently || result.finalUrl === feed.url) return null;
  if (result.finalUrl.length > 2048) return null;
  const taken = await Feed.query(trx).where('url', result.finalUrl).first();
  if (taken) return null;
  await trx('bookmarks').where('feed_url', feed.url).update({ feed_url: result.finalUrl });
  return result.finalUrl;
}

/** A failed poll's row patch, computed from the row it applies to. */
function failureWrite(
  deps: RefreshDeps,
  feed: FeedRow,
  outcome: Extract<Attempt, { error: string }>,
  now: Date,
): { patch: Partial<Feed>; recorded: RefreshOutcome } {
  const errorCount = feed.error_count + 1;
  // 410 says the feed will not come back; otherwise give it maxErrors chances.
  const disabled = outcome.status === 'gone' || errorCount >= deps.config.feeds.maxErrors;
  const delay = nextPollDelayMs({
    errorCount,
    intervalMinutes: deps.config.feeds.pollIntervalMinutes,
    retryAfterSeconds: outcome.retryAfterSeconds,
  });
  const error = outcome.error.slice(0, LAST_ERROR_MAX);
  const due = new Date(now.getTime() + delay);
  return {
    patch: {
      error_count: errorCount,
      last_error: error,
      last_status: outcome.status,
      last_polled_at: now,
      next_poll_at: due,
      poll_due_at: due,
      disabled,
    },
    recorded: { ...base(feed), status: outcome.status, newItems: 0, error, disabled },
  };
}

async function recordFailure(
  trx: Knex.Transaction,
  deps: RefreshDeps,
  feed: Feed,
  outcome: Extract<Attempt, { error: string }>,
  now: Date,
): Promise<RefreshOutcome> {
  const { patch, recorded } = failureWrite(deps, feed, outcome, now);
  await Feed.query(trx).patch(patch).where('id', feed.id);
  return recorded;
}
