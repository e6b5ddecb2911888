import type { Knex } from 'knex';
import { createApiToken, createUser, type User } from '../../src/users';

let counter = 0;

/** A user with a known password; names are unique within a test file. */
export async function aUser(
  overrides: { username?: string; password?: string } = {},
): Promise<User> {
  counter += 1;
  const username = overrides.username ?? `user${counter}_${process.pid}`;
  return createUser({
    username,
    email: `${username.toLowerCase()}@example.test`,
    password: overrides.password ?? 'correct horse battery',
  });
}

export async function aToken(userId: number): Promise<string> {
  return (await createApiToken({ userId, name: 'test' })).token;
}

/**
 * A new user follows the feeds: the scheduler polls only feeds someone
 * follows or has bookmarked (src/feeds/scheduler.ts). Rows written directly,
 * for tests that hold a knex of their own.
 */
export async function followFeeds(knex: Knex, feedIds: readonly number[]): Promise<number> {
  counter += 1;
  const username = `follower${counter}_${process.pid}`;
  const [user] = await knex('users')
    .insert({ username, email: `${username}@example.test`, password_hash: 'not a hash' })
    .returning('id');
  if (feedIds.length > 0) {
    await knex('feed_subscriptions').insert(
      feedIds.map((feedId) => ({ user_id: user.id, feed_id: feedId })),
    );
  }
  return user.id as number;
}
