/**
 * Per-process bookmark, unfurl, import and export instruments: what a
 * process did (fetched a page, streamed an export, spent time on an import).
 * Bookmarks created, updated and deleted, and imports and their records, are
 * counted by the database instead (src/metrics/catalog.ts), so no process can
 * lose them. Helpers never throw.
 */
import { createCounter, createSecondsHistogram } from '../../otel/instruments';

export type { BookmarkSource, UpdateOperation } from '../metrics/write-context';

export const UNFURL_STATUSES = [
  'success',
  'http_error',
  'timeout',
  'too_large',
  'blocked',
  'network_error',
  'parse_error',
  'not_html',
] as const;
export type UnfurlStatus = (typeof UNFURL_STATUSES)[number];
/** 'unknown': the import failed before its format could be told. */
export type ImportFormat = 'netscape' | 'pinboard' | 'activitystreams' | 'unknown';
export type ImportStatus = 'completed' | 'failed' | 'cancelled';
export const EXPORT_FORMATS = ['netscape', 'activitystreams', 'opml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

const unfurls = createCounter({
  name: 'unfurl_operations',
  description: 'Page unfurls (fetch + metadata extraction), by outcome.',
  labels: ['status'],
  known: UNFURL_STATUSES.map((status) => ({ status })),
});
const unfurlDuration = createSecondsHistogram({
  name: 'unfurl_duration',
  description: 'Time to fetch and extract one page.',
  labels: [],
});
const importDuration = createSecondsHistogram({
  name: 'bookmark_import_duration',
  description: 'Wall time of an import job from start to end, by format.',
  labels: ['format'],
});
const exportsServed = createCounter({
  name: 'bookmark_exports',
  description: 'Exports served, by format.',
  labels: ['format'],
  known: EXPORT_FORMATS.map((format) => ({ format })),
});
const exportDuration = createSecondsHistogram({
  name: 'bookmark_export_duration',
  description: 'Time to stream one export, by format.',
  labels: ['format'],
});

export function recordUnfurl(status: UnfurlStatus, seconds: number): void {
  unfurls.add(1, { status });
  unfurlDuration.record(seconds, {});
}
/** An import job ended after `seconds` (the job row's status is what counts it). */
export function recordImportDuration(format: ImportFormat, seconds: number): void {
  importDuration.record(seconds, { format });
}
export function recordExport(format: ExportFormat, seconds: number): void {
  exportsServed.add(1, { format });
  exportDuration.record(seconds, { format });
}
