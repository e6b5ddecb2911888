/** Shared set-up for the feed tests: config, fetchers, metrics and rows. */
import { renderPrometheus } from '../../otel/prometheus';
import { getTelemetry } from '../../otel/state';
import type { Config } from '../../src/config';
import { FEED_POLL_STATUSES, Feed } from '../../src/feeds';
import { createFetcher, type Fetcher } from '../../src/fetcher';
import { databaseCounter } from '../helpers/database-metrics';
import { followFeeds } from '../helpers/factories';
import { metricValue } from '../helpers/metrics';

export const feedsConfig: Pick<Config, 'feeds' | 'fetch'> = {
  feeds: { pollIntervalMinutes: 30, maxItems: 50, maxErrors: 3, perHostConcurrency: 2 },
  fetch: {
    allowPrivateNetworks: true,
    // Generous: a loaded CI machine must not turn a fixture fetch into a timeout.
    timeoutMs: 5000,
    maxBytes: 256 * 1024,
    userAgent: 'pebbling-club-test/1.0',
  },
};

/** A fetcher for the fixture server on 127.0.0.1 (private networks allowed). */
export function openFetcher(): Fetcher {
  return createFetcher(feedsConfig.fetch);
}

/** The same with the guard on, as in production. */
export function guardedFetcher(): Fetcher {
  return createFetcher({ ...feedsConfig.fetch, allowPrivateNetworks: false });
}

export async function metricsText(): Promise<string> {
  const result = await renderPrometheus(getTelemetry().pullReader!, {
    scopeLabels: false,
    targetInfo: false,
  });
  if (!result.ok) throw new Error('metric collection failed');
  return result.body;
}

export interface PollCounters {
  polls(status: string): number;
  durations(status: string): number;
  discovered(): number;
}

/**
 * The feed's poll metrics now; compare two snapshots to see what a poll added.
 * Polls and items as the database counts them, durations from this process.
 */
export async function pollCounters(feedId: number): Promise<PollCounters> {
  const text = await metricsText();
  const knex = Feed.knex();
  const polls = new Map<string, number>();
  for (const status of FEED_POLL_STATUSES) {
    polls.set(status, await databaseCounter(knex, 'feed_polls', { status }, { feedId }));
  }
  const discovered = await databaseCounter(knex, 'feed_items_discovered', {}, { feedId });
  return {
    polls: (status) => polls.get(status) ?? 0,
    durations: (status) => metricValue(text, 'feed_poll_duration_seconds_count', { status }),
    discovered: () => discovered,
  };
}

let counter = 0;

export async function aFeed(url: string, fields: Partial<Feed> = {}): Promise<Feed> {
  counter += 1;
  return Feed.query().insert({ url, ...fields });
}

/** A feed someone follows: the only kind the scheduler polls (with bookmarked ones). */
export async function aFollowedFeed(url: string, fields: Partial<Feed> = {}): Promise<Feed> {
  const feed = await aFeed(url, fields);
  await followFeeds(Feed.knex(), [feed.id]);
  return feed;
}

export function uniquePath(prefix: string): string {
  counter += 1;
  return `/${prefix}-${counter}`;
}
