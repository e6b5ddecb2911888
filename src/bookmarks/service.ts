/**
 * Writing bookmarks. Each write is one transaction: the row, its tags and the
 * unfurl job. The database counts the writes (docs/metrics.md); each
 * transaction labels them first, with where they came from or what changed.
 * Saving a URL the owner already has — same unique_hash — updates that
 * bookmark instead of adding another.
 */
import type { Knex } from 'knex';
import { conflict, validationFailed } from '../errors';
import { addJob } from '../jobs';
import {
  type BookmarkSource,
  labelBookmarkWrites,
  type UpdateOperation,
} from '../metrics/write-context';
import { Bookmark } from './models';
import { authorizeEdit, authorizeView, type Viewer } from './policies';
import { getBookmarkPreferences } from './preferences';
import { type BookmarkRecord, loadRecord } from './records';
import { planResave, type ResavePlan } from './resave';
import { MAX_TITLE_LENGTH } from './schemas';
import { setBookmarkTags } from './tag-store';
import { InvalidUrlError, parseBookmarkUrl, urlHash } from './url';

export interface BookmarkFields {
  readonly url: string;
  readonly title?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly private?: boolean;
}

export type BookmarkChanges = Partial<BookmarkFields>;

const UNIQUE_VIOLATION = '23505';
const UNFURL_ATTEMPTS = 3;

function validUrl(input: string): string {
  try {
    return parseBookmarkUrl(input).href;
  } catch (error) {
    if (error instanceof InvalidUrlError) throw validationFailed(`url: ${error.message}`);
    throw error;
  }
}

function guard(row: Bookmark) {
  return { ownerId: row.owner_id, private: row.private };
}

async function queueUnfurl(trx: Knex.Transaction, bookmarkId: number): Promise<void> {
  await addJob(
    trx,
    'unfurl_bookmark',
    { bookmarkId },
    { jobKey: `unfurl:${bookmarkId}`, maxAttempts: UNFURL_ATTEMPTS },
  );
}

function lockByHash(trx: Knex.Transaction, ownerId: number, hash: string) {
  return Bookmark.query(trx).findOne({ owner_id: ownerId, unique_hash: hash }).forUpdate();
}

/** A second bookmark for one URL, found late (a concurrent save), is a 409. */
async function translateConflicts<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const { code, constraint } = error as { code?: string; constraint?: string };
    if (code === UNIQUE_VIOLATION && constraint?.includes('unique_hash')) {
      throw conflict('You already have a bookmark for that URL: edit that one instead.');
    }
    throw error;
  }
}

/** A new row for a URL the owner does not have yet; undefined if a concurrent save won. */
async function insertBookmark(
  trx: Knex.Transaction,
  input: {
    ownerId: number;
    url: string;
    hash: string;
    fields: BookmarkFields;
    source: BookmarkSource;
  },
): Promise<number | undefined> {
  const { ownerId, fields } = input;
  // Not said (an API create without `private`): the owner's preference decides.
  const isPrivate = fields.private ?? (await getBookmarkPreferences(ownerId, trx)).privateByDefault;
  const [row] = (await trx('bookmarks')
    .insert({
      owner_id: ownerId,
      url: input.url,
      unique_hash: input.hash,
      title: (fields.title ?? '').slice(0, MAX_TITLE_LENGTH),
      description: fields.description ?? '',
      private: isPrivate,
    })
    .onConflict(['owner_id', 'unique_hash'])
    .ignore()
    .returning('id')) as Array<{ id: number }>;
  if (!row) return undefined;
  await setBookmarkTags(trx, { bookmarkId: row.id, ownerId, names: fields.tags ?? [] });
  await queueUnfurl(trx, row.id);
  return row.id;
}

type NewBookmark = Parameters<typeof insertBookmark>[1];

/** The owner's row for the URL, locked; or a new one. */
async function lockOrInsert(
  trx: Knex.Transaction,
  input: NewBookmark,
): Promise<{ created: true; id: number } | { created: false; row: Bookmark }> {
  const existing = await lockByHash(trx, input.ownerId, input.hash);
  if (existing) return { created: false, row: existing };
  const id = await insertBookmark(trx, input);
  if (id !== undefined) return { created: true, id };
  // A concurrent save of the same URL won: this save works on its row.
  return { created: false, row: (await lockByHash(trx, input.ownerId, input.hash))! };
}

/**
 * Saves a URL for its owner: a new bookmark, or an update of the one they
 * have with the fields given (the API's "create": fields left out keep their
 * values).
 */
export async function createOrUpdateBookmark(input: {
  readonly ownerId: number;
  readonly fields: BookmarkFields;
  readonly source: BookmarkSource;
}): Promise<{ bookmark: BookmarkRecord; created: boolean }> {
  const url = validUrl(input.fields.url);
  const hash = urlHash(url);
  const { ownerId, fields } = input;
  return translateConflicts(() =>
    Bookmark.transaction(async (trx) => {
      await labelBookmarkWrites(trx, { source: input.source });
      const found = await lockOrInsert(trx, { ownerId, url, hash, fields, source: input.source });
      if (found.created) return { bookmark: (await loadRecord(trx, found.id))!, created: true };
      await applyChanges(trx, found.row, { ...fields, url: undefined }, 'resave');
      return { bookmark: (await loadRecord(trx, found.row.id))!, created: false };
    }),
  );
}

export type AddOutcome =
  | { readonly kind: 'created'; readonly bookmark: BookmarkRecord }
  | ({ readonly kind: 'merged'; readonly bookmark: BookmarkRecord } & ResavePlan)
  | { readonly kind: 'review'; readonly bookmark: BookmarkRecord; readonly plan: ResavePlan };

/**
 * The Add form's save. A URL the owner already has is never overwritten
 * blindly: blanks are filled and tags added (resave.ts); anything that would
 * replace a value they had comes back for review, with nothing written.
 * `changes` is what the person changed on the form, `fields` all of it.
 */
export async function addBookmark(input: {
  readonly ownerId: number;
  readonly fields: BookmarkFields;
  readonly changes: BookmarkChanges;
  readonly source: BookmarkSource;
}): Promise<AddOutcome> {
  const url = validUrl(input.fields.url);
  const hash = urlHash(url);
  const { ownerId } = input;
  return translateConflicts(() =>
    Bookmark.transaction(async (trx): Promise<AddOutcome> => {
      const { fields, source } = input;
      await labelBookmarkWrites(trx, { source });
      const found = await lockOrInsert(trx, { ownerId, url, hash, fields, source });
      if (found.created) return { kind: 'created', bookmark: (await loadRecord(trx, found.id))! };
      const before = (await loadRecord(trx, found.row.id))!;
      const plan = planResave(before, input.changes);
      if (plan.conflicts.length > 0) return { kind: 'review', bookmark: before, plan };
      await applyChanges(trx, found.row, plan.apply, 'resave');
      return { kind: 'merged', bookmark: (await loadRecord(trx, found.row.id))!, ...plan };
    }),
  );
}

/**
 * Applies the fields that differ from the row. Nothing different means no
 * write and no count. A new URL clears what was unfurled from the old one and
 * queues a new unfurl.
 */
async function applyChanges(
  trx: Knex.Transaction,
  row: Bookmark,
  changes: BookmarkChanges,
  kind: 'edit' | 'resave',
): Promise<boolean> {
  const patch: Partial<Pick<Bookmark, 'url' | 'unique_hash' | 'title' | 'description'>> & {
    private?: boolean;
    feed_url?: null;
    unfurl_metadata?: null;
  } = {};
  let urlChanged = false;
  if (changes.url !== undefined) {
    const url = validUrl(changes.url);
    const hash = urlHash(url);
    if (hash !== row.unique_hash) {
      const taken = await Bookmark.query(trx)
        .findOne({ owner_id: row.owner_id, unique_hash: hash })
        .whereNot('id', row.id);
      if (taken) throw conflict('You already have a bookmark for that URL: edit that one instead.');
      Object.assign(patch, { url, unique_hash: hash, feed_url: null, unfurl_metadata: null });
      urlChanged = true;
    } else if (url !== row.url) {
      patch.url = url;
    }
  }
  const title = changes.title?.slice(0, MAX_TITLE_LENGTH);
  if (title !== undefined && title !== row.title) patch.title = title;
  if (changes.description !== undefined && changes.description !== row.description) {
    patch.description = changes.description;
  }
  if (changes.private !== undefined && changes.private !== row.private) {
    patch.private = changes.private;
  }
  const tagsChanged =
    changes.tags !== undefined &&
    (await setBookmarkTags(trx, {
      bookmarkId: row.id,
      ownerId: row.owner_id,
      names: changes.tags,
    }));
  const fieldsChanged = Object.keys(patch).length > 0;
  if (!fieldsChanged && !tagsChanged) return false;

  const operation: UpdateOperation = kind === 'resave' ? 'resave' : fieldsChanged ? 'edit' : 'tags';
  await labelBookmarkWrites(trx, { operation });
  // Always a row update, even for tags only: updated_at says when it last changed.
  await Bookmark.query(trx).patch(patch).where('id', row.id);
  if (urlChanged) await queueUnfurl(trx, row.id);
  return true;
}

/** The owner changes some fields; absent fields stay as they are. */
export async function updateBookmark(input: {
  readonly actor: Viewer;
  readonly id: number;
  readonly changes: BookmarkChanges;
}): Promise<{ bookmark: BookmarkRecord; changed: boolean }> {
  return translateConflicts(() =>
    Bookmark.transaction(async (trx) => {
      const row = await Bookmark.query(trx).findById(input.id).forUpdate();
      authorizeEdit(input.actor, row && guard(row));
      const changed = await applyChanges(trx, row!, input.changes, 'edit');
      return { bookmark: (await loadRecord(trx, input.id))!, changed };
    }),
  );
}

/**
 * Fetches the page again in the background (after a failed unfurl, say).
 * `reserveFetch` charges it to the owner's BOOKMARK_REFETCHES_PER_HOUR, after
 * the check that it is theirs and before anything is queued.
 */
export async function refetchBookmark(
  deps: { readonly reserveFetch: () => Promise<void> },
  input: { readonly actor: Viewer; readonly id: number },
) {
  // Checked once before the quota (which uses a connection of its own: never
  // while this request holds one in a transaction) and again under the lock.
  const found = await Bookmark.query().findById(input.id);
  authorizeEdit(input.actor, found && guard(found));
  await deps.reserveFetch();
  await Bookmark.transaction(async (trx) => {
    const row = await Bookmark.query(trx).findById(input.id).forUpdate();
    authorizeEdit(input.actor, row && guard(row));
    await queueUnfurl(trx, input.id);
  });
}

export async function deleteBookmark(input: { readonly actor: Viewer; readonly id: number }) {
  await Bookmark.transaction(async (trx) => {
    const row = await Bookmark.query(trx).findById(input.id).forUpdate();
    authorizeEdit(input.actor, row && guard(row));
    await Bookmark.query(trx).deleteById(input.id);
  });
}

/** The bookmark if the viewer may see it; 404 otherwise. */
export async function getBookmark(input: {
  readonly viewer: Viewer | undefined;
  readonly id: number;
}): Promise<BookmarkRecord> {
  const record = await loadRecord(Bookmark.knex(), input.id);
  authorizeView(input.viewer, record);
  return record!;
}

/** The bookmark an owner already has for this URL (any spelling of it), if any. */
export async function findOwnBookmarkByUrl(input: {
  readonly ownerId: number;
  readonly url: string;
}): Promise<BookmarkRecord | undefined> {
  let hash: string;
  try {
    hash = urlHash(input.url);
  } catch {
    return undefined;
  }
  const row = await Bookmark.query().findOne({ owner_id: input.ownerId, unique_hash: hash });
  return row ? loadRecord(Bookmark.knex(), row.id) : undefined;
}
