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
