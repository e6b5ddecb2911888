/**
 * FEED_FETCHES_PER_HOUR: how many feeds one user may have polled on demand
 * (POST /feeds/fetch, Re-enable, Retry now) in an hour.
 */
import type { Knex } from 'knex';
import { createOnDemandQuota, type OnDemandQuota } from '../fetcher';

export type PollQuota = OnDemandQuota;

export function createPollQuota(knex: Knex, perHour: number): PollQuota {
  return createOnDemandQuota(knex, {
    name: 'feed_fetch',
    perHour,
    refusal: (count, minutes) =>
      `You may have ${perHour} feeds polled on demand an hour (FEED_FETCHES_PER_HOUR), and ${count} more would pass that. Try again in ${minutes} minutes; feeds are polled on their own every FEED_POLL_INTERVAL anyway.`,
  });
}
