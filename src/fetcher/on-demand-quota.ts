/**
 * How many outbound fetches one user may set off by pressing a button in an
 * hour (poll these feeds, fetch this page again), so those buttons cannot be
 * turned into a hammer on other people's servers. rate-limiter-flexible on the
 * shared `rate_limits` table: every web process counts against one quota.
 */
import type { Knex } from 'knex';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { tooManyRequests } from '../errors';

export interface OnDemandQuota {
  /** Takes `count` fetches from the user's quota, or throws a 429 saying when to come back. */
  reserve(userId: number, count: number): Promise<void>;
}

export interface OnDemandQuotaOptions {
  /** Keeps each quota's counts apart in `rate_limits`. */
  readonly name: string;
  readonly perHour: number;
  /** What the 429 says, given how many were asked for and the minutes until there is room. */
  readonly refusal: (count: number, minutes: number) => string;
}

export function createOnDemandQuota(knex: Knex, options: OnDemandQuotaOptions): OnDemandQuota {
  const limiter = new RateLimiterPostgres({
    storeClient: knex,
    storeType: 'knex',
    tableName: 'rate_limits',
    tableCreated: true, // by migration 005
    keyPrefix: options.name,
    points: options.perHour,
    duration: 60 * 60,
  });
  return {
    async reserve(userId, count) {
      if (count === 0) return;
      try {
        await limiter.consume(String(userId), count);
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // Refused fetches do not count: the user may still ask for fewer.
        await limiter.reward(String(userId), count).catch(() => {});
        const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
        throw tooManyRequests(options.refusal(count, Math.ceil(seconds / 60)), seconds);
      }
    },
  };
}
