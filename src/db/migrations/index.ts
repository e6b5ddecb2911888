import type { Knex } from 'knex';
import * as initial from './001_initial';
import * as loginFailures from './002_login_failures';
import * as importResume from './003_import_resume_worker_heartbeats';
import * as leanBookmarkIndexes from './004_lean_bookmark_indexes';
import * as sessionsRateLimits from './005_sessions_rate_limits';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * Every migration, in order. An explicit list (not a scanned folder) so the
 * compiler sees them all and the build output needs no file-system lookups.
 * Append new migrations; never rename or reorder applied ones.
 */
export const migrations: ReadonlyArray<readonly [name: string, migration: Migration]> = [
  ['001_initial', initial],
  ['002_login_failures', loginFailures],
  ['003_import_resume_worker_heartbeats', importResume],
  ['004_lean_bookmark_indexes', leanBookmarkIndexes],
  ['005_sessions_rate_limits', sessionsRateLimits],
];
