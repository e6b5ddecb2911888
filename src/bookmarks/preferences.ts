/**
 * A person's bookmark preferences: for now whether new bookmarks start
 * private. Kept on the users row (migration 007); read and written only for
 * the person themselves.
 */
import type { Knex } from 'knex';
import { Bookmark } from './models';

export interface BookmarkPreferences {
  readonly privateByDefault: boolean;
}

export async function getBookmarkPreferences(
  userId: number,
  knex: Knex | Knex.Transaction = Bookmark.knex(),
): Promise<BookmarkPreferences> {
  const row = (await knex('users').where('id', userId).first('bookmarks_private_by_default')) as
    | { bookmarks_private_by_default: boolean }
    | undefined;
  return { privateByDefault: row?.bookmarks_private_by_default ?? false };
}

/** Answers whether anything changed. */
export async function setBookmarkPreferences(input: {
  readonly userId: number;
  readonly preferences: BookmarkPreferences;
}): Promise<boolean> {
  return Bookmark.transaction(async (trx) => {
    const rows = await trx('users')
      .where('id', input.userId)
      .whereNot('bookmarks_private_by_default', input.preferences.privateByDefault)
      .update({
        bookmarks_private_by_default: input.preferences.privateByDefault,
        updated_at: trx.fn.now(),
      });
    return rows > 0;
  });
}
