/**
 * What a signed-in person does to their own account on /settings: profile,
 * email, and deleting the account. Changes that could lock the owner out or
 * lose data (email, deletion) need the current password, checked under the
 * login throttle so a borrowed session cannot guess it (PasswordProof).
 */
import fs from 'node:fs/promises';
import { Bookmark, Tag } from '../bookmarks';
import { notFound, validationFailed } from '../errors';
import {
  confirmCurrentPassword,
  Profile,
  type Throttles,
  throttleEmailProbes,
  User,
  updateBio,
} from '../users';

/** The current password as typed, and what its check is throttled by. */
export interface PasswordProof {
  readonly password: string;
  readonly throttles: Throttles;
  /** The client's address: the login throttle counts per account and address. */
  readonly address: string;
}

export interface Account {
  readonly id: number;
  readonly username: string;
  readonly email: string;
  readonly bio: string;
  readonly createdAt: Date;
}

export async function getAccount(userId: number): Promise<Account> {
  const user = await User.query().findById(userId);
  if (!user) throw notFound('There is no such account.');
  const profile = await Profile.query().findById(userId);
  return {
    id: user.id,
    username: user.username,
    email: user.email,
    bio: profile?.bio ?? '',
    createdAt: user.created_at,
  };
}

export async function updateProfile(input: { userId: number; bio: string }): Promise<void> {
  await updateBio(input.userId, input.bio);
}

export async function changeEmail(input: {
  userId: number;
  email: string;
  proof: PasswordProof;
}): Promise<void> {
  await checkCurrentPassword(input.userId, input.proof);
  const taken = (error: unknown) =>
    ((error as { constraint?: string }).constraint ?? '').includes('email');
  const { throttles, address } = input.proof;
  try {
    await throttleEmailProbes(
      throttles,
      address,
      async () => {
        await User.query().patch({ email: input.email.toLowerCase() }).where({ id: input.userId });
      },
      taken,
    );
  } catch (error) {
    if (!taken(error)) throw error;
    const message = 'That email address cannot be used. Choose another.';
    throw validationFailed(message, { fields: { email: message } });
  }
}

/**
 * Deletes the user and everything they own: bookmarks and their tags, API
 * tokens, profile, feed subscriptions, import jobs (cascading from the user
 * row) and the uploaded import files. The database counts every row that
 * goes, cascades included (migration 009's triggers).
 */
export async function deleteAccount(input: {
  userId: number;
  proof: PasswordProof;
}): Promise<void> {
  await checkCurrentPassword(input.userId, input.proof);
  const uploads = await User.transaction(async (trx) => {
    // Locked first: an import batch or a new bookmark for this user now waits,
    // then fails on the missing user, instead of slipping in uncounted.
    const user = await User.query(trx).findById(input.userId).forUpdate();
    if (!user) throw notFound('There is no such account.');
    const files: string[] = await trx('import_jobs')
      .where({ user_id: input.userId })
      .pluck('file_path');
    await Bookmark.query(trx).delete().where({ owner_id: input.userId });
    await Tag.query(trx).delete().where({ owner_id: input.userId });
    await User.query(trx).deleteById(input.userId);
    return files;
  });
  await Promise.all(uploads.map((file) => fs.rm(file, { force: true })));
}

/** The signed-in user's password, on the login throttle's counter (users/credentials.ts). */
async function checkCurrentPassword(userId: number, proof: PasswordProof): Promise<void> {
  const user = await User.query().findById(userId);
  if (!user) throw notFound('There is no such account.');
  await confirmCurrentPassword(proof.throttles, {
    user,
    password: proof.password,
    address: proof.address,
  });
}

export interface AccountSummary {
  readonly bookmarks: number;
  readonly tags: number;
  readonly tokens: number;
  readonly feeds: number;
  readonly imports: number;
}

/** What deleting the account would delete, for the confirmation page. */
export async function summarizeAccount(userId: number): Promise<AccountSummary> {
  const knex = User.knex();
  const count = (table: string, column: string) =>
    knex(table).where(column, userId).count({ n: '*' }).first();
  const [bookmarks, tags, tokens, feeds, imports] = await Promise.all([
    count('bookmarks', 'owner_id'),
    count('tags', 'owner_id'),
    count('api_tokens', 'user_id'),
    count('feed_subscriptions', 'user_id'),
    count('import_jobs', 'user_id'),
  ]);
  const n = (row: { n?: string | number } | undefined) => Number(row?.n ?? 0);
  return {
    bookmarks: n(bookmarks),
    tags: n(tags),
    tokens: n(tokens),
    feeds: n(feeds),
    imports: n(imports),
  };
}
