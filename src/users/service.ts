import { createHash, randomBytes } from 'node:crypto';
import { AppError, notFound, validationFailed } from '../errors';
import { ApiToken, Profile, User } from './models';
import { passwordProblem } from './password-policy';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords';

export interface UserSummary {
  readonly id: number;
  readonly username: string;
}

const fieldConflict = (field: string, message: string) =>
  new AppError(409, 'conflict', message, { fields: { [field]: message } });

/** A 422 naming the `field` when the password is too weak (see password-policy.ts). */
export async function assertStrongPassword(
  field: string,
  password: string,
  person: { username?: string; email?: string },
): Promise<void> {
  const problem = await passwordProblem(password, person);
  if (problem) throw validationFailed(problem, { fields: { [field]: problem } });
}

/**
 * Creates the user and their profile in one transaction. The password must
 * pass the strength policy, whoever creates the account (form or CLI).
 */
export async function createUser(input: {
  username: string;
  email: string;
  password: string;
}): Promise<User> {
  await assertStrongPassword('password', input.password, input);
  const passwordHash = await hashPassword(input.password);
  try {
    return await User.transaction(async (trx) => {
      const user = await User.query(trx).insert({
        username: input.username,
        email: input.email.toLowerCase(),
        password_hash: passwordHash,
      });
      await Profile.query(trx).insert({ user_id: user.id, bio: '' });
      return user;
    });
  } catch (error) {
    const constraint = (error as { constraint?: string }).constraint ?? '';
    if (constraint.includes('username')) throw fieldConflict('username', 'That username is taken.');
    // Worded so as not to confirm more than it must (see docs/reliability.md).
    if (constraint.includes('email')) {
      throw fieldConflict(
        'email',
        'That email address cannot be used for a new account. If you already have one, log in.',
      );
    }
    throw error;
  }
}

export async function findUserByUsername(username: string): Promise<User | undefined> {
  return User.query().whereRaw('lower(username) = lower(?)', [username]).first();
}

/**
 * The account a login (username or email) names, and the key the login
 * throttle counts it under: the user id when there is one, else the login as
 * PostgreSQL lower-cases it. Both go through the database's lower() — the
 * one the unique indexes use — because it and JavaScript's toLowerCase
 * disagree (U+0130 "İ" is "i" to one and "i̇" to the other).
 */
export async function resolveLogin(login: string): Promise<{ user?: User; throttleKey: string }> {
  const user = await User.query()
    .whereRaw('lower(username) = lower(?)', [login])
    .orWhereRaw('lower(email) = lower(?)', [login])
    .first();
  if (user) return { user, throttleKey: `user:${user.id}` };
  const { rows } = await User.knex().raw<{ rows: Array<{ name: string }> }>(
    'select lower(?) as name',
    [login],
  );
  const name = createHash('sha256')
    .update(rows[0]?.name ?? login)
    .digest('hex');
  return { throttleKey: `name:${name}` };
}

/** Whether `password` is the user's; takes the same time when there is no user. */
export async function checkPassword(user: User | undefined, password: string): Promise<boolean> {
  const ok = await verifyPassword(password, user?.password_hash ?? (await dummyPasswordHash()));
  return ok && user !== undefined;
}

export async function getProfile(username: string): Promise<{ user: User; bio: string }> {
  const user = await findUserByUsername(username);
  if (!user) throw notFound('There is no such user.');
  const profile = await Profile.query().findById(user.id);
  return { user, bio: profile?.bio ?? '' };
}

export async function updateBio(userId: number, bio: string): Promise<void> {
  const updated = await Profile.query().patch({ bio }).where({ user_id: userId });
  if (updated === 0) await Profile.query().insert({ user_id: userId, bio });
}

const TOKEN_PREFIX = 'pc_';

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Returns the plain token once; only its hash is stored. */
export async function createApiToken(input: {
  userId: number;
  name: string;
}): Promise<{ token: string; record: ApiToken }> {
  const token = `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
  const record = await ApiToken.query().insert({
    user_id: input.userId,
    name: input.name,
    token_hash: hashToken(token),
    token_prefix: token.slice(0, 10),
  });
  return { token, record };
}

export async function listApiTokens(userId: number): Promise<ApiToken[]> {
  return ApiToken.query().where({ user_id: userId }).orderBy('created_at', 'desc');
}

/** Scoped to its owner: someone else's token id deletes nothing and answers 404. */
export async function revokeApiToken(userId: number, tokenId: number): Promise<void> {
  const deleted = await ApiToken.query().delete().where({ id: tokenId, user_id: userId });
  if (deleted === 0) throw notFound('There is no such token.');
}

export async function userForToken(token: string): Promise<UserSummary | undefined> {
  if (!token.startsWith(TOKEN_PREFIX)) return undefined;
  const row = await ApiToken.query().findOne({ token_hash: hashToken(token) });
  if (!row) return undefined;
  // accounts: a disabled account's tokens are refused (user:disable).
  const user = await User.query()
    .findById(row.user_id)
    .whereNull('disabled_at')
    .select('id', 'username');
  if (!user) return undefined;
  // Touch last_used_at at most once a minute: a busy client is not a write per request.
  if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > 60_000) {
    await ApiToken.query().patch({ last_used_at: new Date() }).where({ id: row.id });
  }
  return { id: user.id, username: user.username };
}
