/**
 * FEED_FETCHES_PER_HOUR: how many feeds one user may have polled on demand
 * (POST /feeds/fetch) in an hour, so the endpoint cannot be turned into a
 * hammer on other people's servers. rate-limiter-flexible on the shared
 * `rate_limits` table: every web process counts against one quota.
 */
import type { Knex } from 'knex';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from '../errors';

export interface PollQuota {
  /** Takes `count` polls from the user's quota, or throws a 429 saying when to come back. */
  reserve(userId: number, count: number): Promise<void>;
}

export function createPollQuota(knex: Knex, perHour: number): PollQuota {
  const limiter = new RateLimiterPostgres({
    storeClient: knex,
    storeType: 'knex',
    tableName: 'rate_limits',
    tableCreated: true, // by migration 005
    keyPrefix: 'feed_fetch',
    points: perHour,
    duration: 60 * 60,
  });
  return {
    async reserve(userId, count) {
      if (count === 0) return;
      try {
        await limiter.consume(String(userId), count);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // Refused polls do not count: the user may still ask for fewer.
        await limiter.reward(String(userId), count).catch(() => {});
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw tooManyRequests(
          `You may have ${perHour} feeds polled on demand an hour (FEED_FETCHES_PER_HOUR), and ${count} more would pass that. Try again in ${Math.ceil(seconds / 60)} minutes; feeds are polled on their own every FEED_POLL_INTERVAL anyway.`,
          seconds,
        );
      }
    },
  };
}
