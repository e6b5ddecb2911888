import type { Knex } from 'knex';
import * as initial from './001_initial';
import * as loginFailures from './002_login_failures';
import * as importResume from './003_import_resume_worker_heartbeats';
import * as leanBookmarkIndexes from './004_lean_bookmark_indexes';
import * as sessionsRateLimits from './005_sessions_rate_limits';
import * as userDisabledAt from './006_user_disabled_at';
import * as privateByDefault from './007_private_by_default';
import * as reader from './008_reader';
import * as metricEventsStatus from './009_metric_events_status';
import * as rdfItemGuids from './011_rdf_item_guids';
import * as feedPollDueAt from './012_feed_poll_due_at';

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
  ['006_user_disabled_at', userDisabledAt],
  ['007_private_by_default', privateByDefault],
  ['008_reader', reader],
  ['009_metric_events_status', metricEventsStatus],
  ['011_rdf_item_guids', rdfItemGuids],
  ['012_feed_poll_due_at', feedPollDueAt],
];
