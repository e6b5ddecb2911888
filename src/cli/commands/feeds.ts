/**
 * feeds:poll and feeds:add. The polling is the worker's: these commands queue
 * poll_feed jobs (so the fetch, its metrics and its per-host limit happen on
 * the worker) and wait for the outcome unless given --no-wait.
 */
import { parseArgs } from 'node:util';
import type { Knex } from 'knex';
import { AppError } from '../../errors';
import { Feed, normaliseFeedUrl, queueFeedPolls, subscribeToFeed, waitForJobs } from '../../feeds';
import { createFetcher } from '../../fetcher';
import { findUserByUsername } from '../../users';
import type { CliContext } from '../context';
import { CommandFailed, UsageError } from '../errors';

export const feedsPollHelp =
  'feeds:poll (--all | <url>...) [--no-wait] [--timeout S]   poll feeds now, on the worker';
export const feedsAddHelp =
  'feeds:add <username> <url>... [--no-wait] [--timeout S]   follow feeds (or pages that link to one)';

const OPTIONS = {
  all: { type: 'boolean', default: false },
  'no-wait': { type: 'boolean', default: false },
  timeout: { type: 'string', default: '120' },
} as const;

function timeoutMs(value: string): number {
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError('--timeout takes a number of seconds, e.g. --timeout 60.');
  }
  return seconds * 1000;
}

async function newItemsSince(knex: Knex, feedId: number, since: Date): Promise<number> {
  const { rows } = await knex.raw<{ rows: Array<{ n: number }> }>(
    'select count(*)::int as n from feed_items where feed_id = ? and first_seen_at >= ?',
    [feedId, since],
  );
  return rows[0]?.n ?? 0;
}

/** Queues the polls, waits, prints one line per feed; throws CommandFailed on any failure. */
async function pollAndReport(
  ctx: CliContext,
  feeds: readonly Feed[],
  options: {
    wait: boolean;
    timeoutMs: number;
    started?: Date;
    /** Polls already queued (a feed that was just created), not queued again. */
    queued?: readonly { feedId: number; jobId: string }[];
  },
): Promise<void> {
  const started = options.started ?? new Date();
  const queued = options.queued ?? [];
  const toQueue = feeds.filter((f) => !queued.some((q) => q.feedId === f.id)).map((f) => f.id);
  const jobIds = [
    ...queued.map((q) => q.jobId),
    ...(await ctx.db.knex.transaction((trx) => queueFeedPolls(trx, toQueue))),
  ];
  if (!options.wait) {
    ctx.print(`Queued ${jobIds.length} poll${jobIds.length === 1 ? '' : 's'} for the worker.`);
    return;
  }
  const finished = await waitForJobs(ctx.db.knex, jobIds, options.timeoutMs);
  let failed = 0;
  for (const feed of await Feed.query(ctx.db.knex).findByIds(feeds.map((f) => f.id))) {
    const polled = feed.last_polled_at !== null && feed.last_polled_at >= started;
    if (!polled) {
      failed++;
      ctx.print(`${feed.url}  not polled yet`);
      continue;
    }
    const ok = feed.last_status === 'success' || feed.last_status === 'not_modified';
    if (!ok) failed++;
    const items = await newItemsSince(ctx.db.knex, feed.id, started);
    const detail = ok ? `${items} new item${items === 1 ? '' : 's'}` : (feed.last_error ?? '');
    ctx.print(`${feed.url}  ${feed.last_status}  ${detail}${feed.disabled ? '  (disabled)' : ''}`);
  }
  if (!finished) {
    throw new CommandFailed(
      `Some polls did not finish within ${options.timeoutMs / 1000} s. They stay queued: is a worker running (npm start)?`,
    );
  }
  if (failed > 0) throw new CommandFailed(`${failed} of ${feeds.length} feeds failed to poll.`);
}

export async function feedsPoll(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  if (values.all === positionals.length > 0) {
    throw new UsageError('feeds:poll takes either --all or one or more feed URLs.');
  }
  let feeds: Feed[];
  if (values.all) {
    feeds = await Feed.query(ctx.db.knex).where('disabled', false).orderBy('id');
    if (feeds.length === 0) {
      ctx.print('There are no enabled feeds to poll.');
      return;
    }
  } else {
    feeds = [];
    for (const url of positionals) {
      const feed = await Feed.query(ctx.db.knex).findOne({ url: normaliseFeedUrl(url) });
      if (!feed) throw new UsageError(`No feed has the URL ${url}. Add it first with feeds:add.`);
      if (feed.disabled) {
        throw new UsageError(`${url} is disabled (${feed.last_error}). Re-enable it on /feeds.`);
      }
      feeds.push(feed);
    }
  }
  await pollAndReport(ctx, feeds, {
    wait: !values['no-wait'],
    timeoutMs: timeoutMs(values.timeout),
  });
}

export async function feedsAdd(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: OPTIONS });
  const [username, ...urls] = positionals;
  if (!username || urls.length === 0) {
    throw new UsageError('feeds:add needs a username and at least one URL.');
  }
  const user = await findUserByUsername(username);
  if (!user) throw new UsageError(`There is no user called ${username}.`);
  // Finding the feed behind a page address is a fetch (guarded); polling is the worker's.
  const fetcher = createFetcher(ctx.config.fetch);
  const started = new Date();
  const feeds: Feed[] = [];
  const queued: Array<{ feedId: number; jobId: string }> = [];
  let refused = 0;
  try {
    for (const url of urls) {
      try {
        const { feed, subscribed, pollJobId } = await subscribeToFeed(
          { knex: ctx.db.knex, fetcher, config: ctx.config },
          { userId: user.id, url },
        );
        ctx.print(`${subscribed ? 'Following' : 'Already following'} ${feed.url}`);
        feeds.push(feed);
        if (pollJobId) queued.push({ feedId: feed.id, jobId: pollJobId });
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        refused++;
        ctx.print(`${url}  not added: ${error.message}`);
      }
    }
  } finally {
    await fetcher.close();
  }
  if (feeds.length > 0) {
    await pollAndReport(ctx, feeds, {
      wait: !values['no-wait'],
      timeoutMs: timeoutMs(values.timeout),
      started,
      queued,
    });
  }
  if (refused > 0) throw new CommandFailed(`${refused} of ${urls.length} URLs were not added.`);
}
