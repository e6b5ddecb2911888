/** Shared set-up for the bookmark tests: people with sessions, bookmarks made directly. */
import { type BookmarkFields, createOrUpdateBookmark } from '../../src/bookmarks';
import { User } from '../../src/users';
import type { TestApp } from '../helpers/app';
import { TestClient } from '../helpers/client';

let counter = 0;

/** A unique username for this test file. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${counter}`;
}

export interface Person {
  readonly client: TestClient;
  readonly username: string;
  readonly id: number;
}

/** Registers (which signs in) and returns the signed-in client. */
export async function person(app: TestApp, prefix = 'user'): Promise<Person> {
  const username = uniqueName(prefix);
  const client = new TestClient(app.baseUrl);
  const response = await client.register(username);
  if (response.status !== 302)
    throw new Error(`register ${username}: ${response.status} ${response.text}`);
  const user = await User.query().findOne({ username });
  return { client, username, id: user!.id };
}

export async function bookmarkOf(
  owner: { id: number },
  fields: Partial<BookmarkFields> = {},
): Promise<number> {
  counter += 1;
  const { bookmark } = await createOrUpdateBookmark({
    ownerId: owner.id,
    fields: { url: `https://example.com/page-${counter}`, ...fields },
    source: 'cli',
  });
  return bookmark.id;
}
