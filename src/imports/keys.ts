/**
 * Foreign keys, set-wise. PostgreSQL checks a foreign key with a trigger per
 * inserted row: a batch of 1000 bookmarks with 3 tags each runs 7000 little
 * queries (bookmarks → users, bookmark_tags → bookmarks and → tags), about
 * 55 % of the batch's database time. An import can give the same guarantee
 * with one statement per table: it takes the lock those triggers take (FOR KEY
 * SHARE, so the owner and the tags cannot be deleted or renamed before the
 * batch commits), links only tags it locked and inserts only for an owner it
 * locked; the bookmarks it links are its own new rows or rows it has just
 * updated (locked too). The per-row triggers are then skipped for that one
 * transaction (SET LOCAL session_replication_role = replica).
 *
 * Only when that skips nothing else: the connection's role may set the
 * parameter (a superuser, or GRANT SET ON PARAMETER session_replication_role;
 * PostgreSQL 15 or later),
 * bookmarks and bookmark_tags carry no trigger of their own, and their foreign
 * keys are exactly the three the import enforces itself. Otherwise batches are
 * written with the ordinary per-row triggers.
 */
import type pg from 'pg';

/** The foreign keys the set-wise statement enforces itself: table.column → table. */
const ENFORCED = [
  'bookmark_tags.bookmark_id>bookmarks',
  'bookmark_tags.tag_id>tags',
  'bookmarks.owner_id>users',
].join(',');

export async function canCheckKeysSetWise(client: pg.Client): Promise<boolean> {
  // has_parameter_privilege is PostgreSQL 15+: older servers get the triggers.
  const answer = await client
    .query<{ allowed: boolean; triggers: number; keys: string }>({
      name: 'import_key_check_mode',
      text: `SELECT has_parameter_privilege('session_replication_role', 'SET') AS allowed,
             (SELECT count(*)::int FROM pg_trigger
               WHERE tgrelid IN ('bookmarks'::regclass, 'bookmark_tags'::regclass)
                 AND NOT tgisinternal AND tgenabled = 'O') AS triggers,
             (SELECT string_agg(k, ',' ORDER BY k) FROM (
                SELECT c.conrelid::regclass || '.' || a.attname || '>' || c.confrelid::regclass AS k
                  FROM pg_constraint c
                  JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
                 WHERE c.contype = 'f'
                   AND c.conrelid IN ('bookmarks'::regclass, 'bookmark_tags'::regclass)) f) AS keys`,
    })
    .catch(() => undefined);
  const row = answer?.rows[0];
  return row?.allowed === true && row.triggers === 0 && row.keys === ENFORCED;
}
