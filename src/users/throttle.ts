/**
 * Login and registration throttles: rate-limiter-flexible on its PostgreSQL
 * store (table `rate_limits`), so every web process counts in one place.
 *
 * Each attempt is reserved before the password is checked, by one upsert
 * that counts and returns the count (the library's atomic increment): forty
 * parallel guesses get five checks, not forty. A right password gives its
 * reservation back. Two counters:
 * - per account *and* address (LOGIN_MAX_FAILURES in LOGIN_LOCK_MINUTES):
 *   someone guessing alice's password from their address locks alice out of
 *   that address only, never out of hers;
 * - per address (LOGIN_MAX_FAILURES_PER_ADDRESS an hour), whatever the
 *   account: one address spraying many accounts.
 * The account is the canonical user id (see resolveLoginKey), so `ALICE`,
 * `alice@example.org` and `alİce` all count against the same account.
 */
import type { Knex } from 'knex';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import type { Config } from '../config';
import { tooManyRequests } from '../errors';
import { addressKey } from './addresses';

export interface ReservedLogin {
  /** The password was right: this attempt does not count. */
  succeeded(): Promise<void>;
}

export interface Throttles {
  /** Reserves a login attempt; throws a 429 (with the real wait) when either counter is spent. */
  reserveLogin(accountKey: string, address: string): Promise<ReservedLogin>;
  /** Counts a sign-up or email change from the address (`cost` points); 429 when spent. */
  reserveRegistration(address: string, cost?: number): Promise<void>;
}

type Limits = Pick<
  Config['security'],
  | 'loginMaxFailures'
  | 'loginMaxFailuresPerAddress'
  | 'loginLockMinutes'
  | 'registrationsPerAddressPerHour'
>;

const HOUR = 60 * 60;

export function createThrottles(knex: Knex, limits: Limits): Throttles {
  const store = {
    storeClient: knex,
    storeType: 'knex',
    tableName: 'rate_limits',
    tableCreated: true, // by migration 005
  };
  const lock = limits.loginLockMinutes * 60;
  const accountAtAddress = new RateLimiterPostgres({
    ...store,
    keyPrefix: 'login',
    points: limits.loginMaxFailures,
    duration: lock,
    blockDuration: lock,
  });
  const address = new RateLimiterPostgres({
    ...store,
    keyPrefix: 'login_address',
    points: limits.loginMaxFailuresPerAddress,
    duration: HOUR,
    blockDuration: HOUR,
  });
  const registrations = new RateLimiterPostgres({
    ...store,
    keyPrefix: 'register',
    points: limits.registrationsPerAddressPerHour,
    duration: HOUR,
  });

  return {
    async reserveLogin(accountKey, ip) {
      const from = addressKey(ip);
      const pairKey = `${accountKey}|${from}`;
      await consumeAll(
        [
          [accountAtAddress, pairKey],
          [address, from],
        ],
        1,
        (wait) => `Too many failed logins. Try again in ${describeWait(wait)}.`,
      );
      return {
        async succeeded() {
          await Promise.all([accountAtAddress.delete(pairKey), address.reward(from, 1)]);
        },
      };
    },

    async reserveRegistration(ip, cost = 1) {
      await consumeAll(
        [[registrations, addressKey(ip)]],
        cost,
        (wait) =>
          `Too many sign-ups or email changes from your address. Try again in ${describeWait(wait)}.`,
      );
    },
  };
}

/** Consumes on every limiter; if any is spent, a 429 that waits for the longest of them. */
async function consumeAll(
  pairs: ReadonlyArray<readonly [RateLimiterPostgres, string]>,
  points: number,
  message: (waitSeconds: number) => string,
): Promise<void> {
  const results = await Promise.allSettled(
    pairs.map(([limiter, key]) => limiter.consume(key, points)),
  );
  let waitMs = -1;
  for (const result of results) {
    if (result.status === 'fulfilled') continue;
    // The library rejects with a RateLimiterRes when spent, an Error when the store failed.
    if (!(result.reason instanceof RateLimiterRes)) throw result.reason;
    waitMs = Math.max(waitMs, result.reason.msBeforeNext);
  }
  if (waitMs < 0) return;
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  throw tooManyRequests(message(seconds), seconds);
}

export function describeWait(seconds: number): string {
  if (seconds < 60) return seconds === 1 ? '1 second' : `${seconds} seconds`;
  const minutes = Math.ceil(seconds / 60);
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
