/**
 * What an administrator does to accounts from the command line: list them,
 * disable or enable one, set a new password. A disabled user cannot sign in,
 * and their API tokens are refused (userForToken); disabling an account and
 * setting its password both end every session it has.
 */
import { notFound } from '../errors';
import { assertStrongPassword, findUserByUsername, revokeUserSessions, User } from '../users';
import { hashPassword } from '../users/passwords';

export interface UserListing {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly createdAt: Date;
  readonly disabledAt: Date | null;
  readonly bookmarks: number;
}

export async function listUsers(): Promise<UserListing[]> {
  const knex = User.knex();
  const rows: Array<{
    id: number;
    username: string;
    email: string;
    created_at: Date;
    disabled_at: Date | null;
    bookmarks: number;
  }> = await knex('users as u')
    .select('u.id', 'u.username', 'u.email', 'u.created_at', 'u.disabled_at')
    .select(
      knex.raw('(select count(*) from bookmarks b where b.owner_id = u.id)::int as bookmarks'),
    )
    .orderBy('u.id');
  return rows.map((row) => ({
    id: row.id,
    username: row.username,
    email: row.email,
    createdAt: row.created_at,
    disabledAt: row.disabled_at,
    bookmarks: row.bookmarks,
  }));
}

/** Returns false when the account was already in that state. */
export async function setUserDisabled(username: string, disabled: boolean): Promise<boolean> {
  const user = await existingUser(username);
  const changed = await User.query()
    .patch({ disabled_at: disabled ? new Date() : null })
    .where({ id: user.id })
    .where((q) => (disabled ? q.whereNull('disabled_at') : q.whereNotNull('disabled_at')));
  if (disabled) await revokeUserSessions(User.knex(), user.id);
  return changed > 0;
}

/**
 * A new password from an administrator, under the same policy as everyone's.
 * Every session of the account ends. A login lock the user ran into at their
 * own address is not lifted: it ends by itself (LOGIN_LOCK_MINUTES).
 */
export async function resetPassword(username: string, password: string): Promise<void> {
  const user = await existingUser(username);
  await assertStrongPassword('password', password, user);
  await User.query()
    .patch({ password_hash: await hashPassword(password) })
    .where({ id: user.id });
  await revokeUserSessions(User.knex(), user.id);
}

/** A signed-in session counts only while its account exists and is not disabled. */
export async function isActiveUser(userId: number): Promise<boolean> {
  const row = await User.query().findById(userId).whereNull('disabled_at').select('id');
  return row !== undefined;
}

async function existingUser(username: string): Promise<User> {
  const user = await findUserByUsername(username);
  if (!user) throw notFound(`There is no user called ${username}.`);
  return user;
}
