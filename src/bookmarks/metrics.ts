/**
 * Bookmark, import and export instruments (metrics plan, step 6). Helpers
 * never throw. Call them after commit (src/db/after-commit.ts): a rolled-back
 * write is never counted. user_id is dropped when METRICS_ID_LABELS=false.
 */
import { createCounter, createSecondsHistogram, createUpDownCounter } from '../../otel/instruments';

export type BookmarkSource = 'web' | 'bookmarklet' | 'api' | 'import' | 'cli';
export type UpdateOperation = 'edit' | 'tags' | 'unfurl' | 'import_overwrite' | 'resave';
export type UnfurlStatus =
  | 'success'
  | 'http_error'
  | 'timeout'
  | 'too_large'
  | 'blocked'
  | 'network_error'
  | 'parse_error'
  | 'not_html';
/** 'unknown': the import failed before its format could be told. */
export type ImportFormat = 'netscape' | 'pinboard' | 'activitystreams' | 'unknown';
export type ImportStatus = 'completed' | 'failed' | 'cancelled';
export type ImportItemResult = 'created' | 'updated' | 'skipped' | 'failed';
export type ExportFormat = 'netscape' | 'activitystreams' | 'opml';

const created = createCounter({
  name: 'bookmarks_created',
  description: 'Bookmarks created, by owner and by where they came from.',
  labels: ['user_id', 'source'],
});
const updated = createCounter({
  name: 'bookmarks_updated',
  description: 'Bookmark updates, by owner and operation.',
  labels: ['user_id', 'operation'],
});
const deleted = createCounter({
  name: 'bookmarks_deleted',
  description: 'Bookmarks deleted, by owner.',
  labels: ['user_id'],
});
const unfurls = createCounter({
  name: 'unfurl_operations',
  description: 'Page unfurls (fetch + metadata extraction), by outcome.',
  labels: ['status'],
});
const unfurlDuration = createSecondsHistogram({
  name: 'unfurl_duration',
  description: 'Time to fetch and extract one page.',
  labels: [],
});
const imports = createCounter({
  name: 'bookmark_imports',
  description: 'Import jobs that ended, by owner, format and final status.',
  labels: ['user_id', 'format', 'status'],
});
const importDuration = createSecondsHistogram({
  name: 'bookmark_import_duration',
  description: 'Wall time of an import job from start to end, by format.',
  labels: ['format'],
});
const importItemsInFlight = createUpDownCounter({
  name: 'bookmark_import_items_processed',
  description: 'Items processed so far by the imports running now in this process (a gauge).',
  labels: [],
});
const importItems = createCounter({
  name: 'bookmark_import_items',
  description: 'Imported records, by format and result.',
  labels: ['format', 'result'],
});
const exportsServed = createCounter({
  name: 'bookmark_exports',
  description: 'Exports served, by format.',
  labels: ['format'],
});
const exportDuration = createSecondsHistogram({
  name: 'bookmark_export_duration',
  description: 'Time to stream one export, by format.',
  labels: ['format'],
});

export function recordBookmarksCreated(userId: number, source: BookmarkSource, count = 1): void {
  created.add(count, { user_id: userId, source });
}
export function recordBookmarksUpdated(
  userId: number,
  operation: UpdateOperation,
  count = 1,
): void {
  updated.add(count, { user_id: userId, operation });
}
export function recordBookmarksDeleted(userId: number, count = 1): void {
  deleted.add(count, { user_id: userId });
}
export function recordUnfurl(status: UnfurlStatus, seconds: number): void {
  unfurls.add(1, { status });
  unfurlDuration.record(seconds, {});
}
export function recordImportEnded(
  userId: number,
  format: ImportFormat,
  status: ImportStatus,
  seconds: number,
): void {
  imports.add(1, { user_id: userId, format, status });
  importDuration.record(seconds, { format });
}
/** Items processed by running imports: add as batches commit, subtract when the job ends. */
export function adjustImportItemsInFlight(delta: number): void {
  importItemsInFlight.add(delta, {});
}
export function recordImportItems(
  format: ImportFormat,
  result: ImportItemResult,
  count: number,
): void {
  importItems.add(count, { format, result });
}
export function recordExport(format: ExportFormat, seconds: number): void {
  exportsServed.add(1, { format });
  exportDuration.record(seconds, { format });
}
