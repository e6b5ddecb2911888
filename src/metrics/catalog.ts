/**
 * Every metric whose value is what the database says: counters kept by the
 * triggers of migration 009 (metric_events → metric_totals) and gauges read
 * from tables. Exactly one process exports them (reporter.ts). Each entry
 * lists its label values known in advance, so that every series exists at 0
 * from the first scrape and rate() works from the start.
 */
import type { TaskName } from '../../tasks/payloads';
import { FEED_POLL_STATUSES } from '../feeds/metrics';

export type IdLabel = 'user_id' | 'feed_id';

export interface DatabaseMetric {
  readonly name: string;
  readonly description: string;
  /** UCUM unit; '' for plain counts (the Prometheus name gets no unit suffix). */
  readonly unit: string;
  /** The id attribute kept when METRICS_ID_LABELS=true. */
  readonly idLabel?: IdLabel;
  /** Label sets that exist (at 0) before anything happened. */
  readonly known: readonly Readonly<Record<string, string>>[];
}

/** Every combination of the given label values. */
function combinations(
  values: Readonly<Record<string, readonly string[]>>,
): Record<string, string>[] {
  let out: Record<string, string>[] = [{}];
  for (const [key, options] of Object.entries(values)) {
    out = out.flatMap((partial) => options.map((value) => ({ ...partial, [key]: value })));
  }
  return out;
}

export const MODEL_LABELS = ['bookmark', 'tag', 'feed', 'feed_item', 'user'] as const;
export const BOOKMARK_SOURCES = ['web', 'bookmarklet', 'api', 'import', 'cli', 'other'] as const;
export const UPDATE_OPERATIONS = [
  'edit',
  'tags',
  'resave',
  'unfurl',
  'import_overwrite',
  'other',
] as const;
export const IMPORT_FORMATS = ['netscape', 'pinboard', 'activitystreams', 'unknown'] as const;
export const IMPORT_STATUSES = ['completed', 'failed', 'cancelled'] as const;
export const IMPORT_ITEM_RESULTS = ['created', 'updated', 'skipped', 'failed'] as const;

const TASKS = {
  import_bookmarks: true,
  poll_feed: true,
  prune_old_data: true,
  schedule_feed_polls: true,
  unfurl_bookmark: true,
} satisfies Record<TaskName, true>;
export const KNOWN_TASKS = Object.keys(TASKS) as TaskName[];

const models = combinations({ model: MODEL_LABELS });

/** Counters: exported as monotonic cumulative sums, named as the triggers name their events. */
export const DATABASE_COUNTERS: readonly DatabaseMetric[] = [
  {
    name: 'model_inserts',
    description: 'Rows inserted, per model, counted by the database in the writing transaction.',
    unit: '',
    known: models,
  },
  {
    name: 'model_updates',
    description: 'Rows updated, per model, counted by the database in the writing transaction.',
    unit: '',
    known: models,
  },
  {
    name: 'model_deletes',
    description:
      'Rows deleted, per model (cascades included), counted by the database in the writing transaction.',
    unit: '',
    known: models,
  },
  {
    name: 'bookmarks_created',
    description: 'Bookmarks created, by where they came from.',
    unit: '',
    idLabel: 'user_id',
    known: combinations({ source: BOOKMARK_SOURCES }),
  },
  {
    name: 'bookmarks_updated',
    description: 'Bookmark updates, by operation.',
    unit: '',
    idLabel: 'user_id',
    known: combinations({ operation: UPDATE_OPERATIONS }),
  },
  {
    name: 'bookmarks_deleted',
    description: 'Bookmarks deleted (a deleted account included).',
    unit: '',
    idLabel: 'user_id',
    known: [{}],
  },
  {
    name: 'feed_polls',
    description: 'Feed polls by outcome, counted when the outcome is committed to the feed row.',
    unit: '',
    idLabel: 'feed_id',
    known: combinations({ status: FEED_POLL_STATUSES }),
  },
  {
    name: 'feed_items_discovered',
    description: 'Feed items stored for the first time.',
    unit: '',
    idLabel: 'feed_id',
    known: [{}],
  },
  {
    name: 'bookmark_imports',
    description: 'Import jobs that ended, by format and final status.',
    unit: '',
    idLabel: 'user_id',
    known: combinations({ format: IMPORT_FORMATS, status: IMPORT_STATUSES }),
  },
  {
    name: 'bookmark_import_items',
    description: 'Imported records, by format and result, counted as each batch commits.',
    unit: '',
    known: combinations({ format: IMPORT_FORMATS, result: IMPORT_ITEM_RESULTS }),
  },
];

/** Gauges: read by the reporting process at each collection (readings.ts holds their SQL). */
export const DATABASE_GAUGES: readonly DatabaseMetric[] = [
  {
    name: 'worker_jobs_waiting',
    description: 'Jobs due and not taken by a worker, by task.',
    unit: '',
    known: combinations({ task: KNOWN_TASKS }),
  },
  {
    name: 'worker_processes',
    description: 'Worker processes whose heartbeat is fresh (WORKER_STALE_AFTER_MS).',
    unit: '',
    known: [{}],
  },
  {
    name: 'active_feeds',
    description:
      'Enabled feeds that someone follows or has bookmarked: the ones the scheduler polls.',
    unit: '',
    known: [{}],
  },
  {
    name: 'feeds_overdue',
    description:
      'Polled feeds (as active_feeds counts them) whose next poll was due more than two poll intervals ago, with no poll completed since.',
    unit: '',
    known: [{}],
  },
  {
    name: 'bookmark_imports_running',
    description: 'Import jobs being processed now.',
    unit: '',
    known: [{}],
  },
  {
    name: 'bookmark_import_items_processed',
    description: 'Records processed so far by the import jobs being processed now.',
    unit: '',
    known: [{}],
  },
  {
    name: 'db_migrations_applied',
    description: 'Database migrations applied.',
    unit: '',
    known: [{}],
  },
  {
    name: 'db_migrations_pending',
    description: "Migrations of the reporting process's release not applied to the database.",
    unit: '',
    known: [{}],
  },
];
