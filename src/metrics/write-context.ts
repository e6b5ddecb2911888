/**
 * Labels the database cannot see for itself. The triggers of migration 009
 * count every bookmark row written; where it came from (`source`) and what
 * kind of change it was (`operation`) they read from these settings, local
 * to the writing transaction. Unset, a write still counts, as `other`.
 */
import type { Knex } from 'knex';
import type { BOOKMARK_SOURCES, UPDATE_OPERATIONS } from './catalog';

export type BookmarkSource = Exclude<(typeof BOOKMARK_SOURCES)[number], 'other'>;
export type UpdateOperation = Exclude<(typeof UPDATE_OPERATIONS)[number], 'other'>;

const SOURCE = 'pebbling.bookmark_source';
const OPERATION = 'pebbling.bookmark_operation';

/** Labels the bookmark writes of this transaction (one round trip). */
export async function labelBookmarkWrites(
  trx: Knex.Transaction,
  labels: { readonly source?: BookmarkSource; readonly operation?: UpdateOperation },
): Promise<void> {
  const settings: string[] = [];
  if (labels.source) settings.push(SOURCE, labels.source);
  if (labels.operation) settings.push(OPERATION, labels.operation);
  if (settings.length === 0) return;
  const calls = Array.from({ length: settings.length / 2 }, () => 'set_config(?, ?, true)');
  await trx.raw(`SELECT ${calls.join(', ')}`, settings);
}

/**
 * The same for a whole session, as libpq `options`: for a connection that
 * only ever writes one kind of bookmark (the import thread's), at no cost
 * per transaction.
 */
export function bookmarkWriteSessionOptions(labels: {
  readonly source: BookmarkSource;
  readonly operation: UpdateOperation;
}): string {
  return `-c ${SOURCE}=${labels.source} -c ${OPERATION}=${labels.operation}`;
}
