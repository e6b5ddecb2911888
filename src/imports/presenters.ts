import { formatBytes } from '../uploads/files';
import type { ImportJob } from './models';
import { canCancelImport, canRetryImport } from './policies';

/** The fields an API client gets for an import; never the server's file path. */
export function presentImportJob(job: ImportJob) {
  return {
    id: job.id,
    status: job.status,
    format: job.format,
    filename: job.original_filename,
    file_size: job.file_size,
    total: job.total_bookmarks,
    processed: job.processed_bookmarks,
    created: job.created_bookmarks,
    updated: job.updated_bookmarks,
    skipped: job.skipped_bookmarks,
    failed: job.failed_bookmarks,
    error: job.error_message,
    failures: job.failed_bookmark_details,
    options: {
      duplicates: job.options.duplicate_handling,
      tags: job.options.tags ?? [],
      private: job.options.private === true,
    },
    created_at: job.created_at,
    started_at: job.started_at,
    completed_at: job.completed_at,
    url: `/api/v1/imports/${job.id}`,
  };
}

/** What the /import page shows for one job. */
export function importJobView(job: ImportJob) {
  const total = Math.max(job.total_bookmarks, job.processed_bookmarks);
  const done = job.status === 'completed';
  return {
    ...presentImportJob(job),
    size: formatBytes(job.file_size),
    percent: done ? 100 : total > 0 ? Math.floor((job.processed_bookmarks / total) * 100) : 0,
    progressMax: total > 0 ? total : 1,
    running: job.status === 'pending' || job.status === 'processing',
    canRetry: canRetryImport(job),
    canCancel: canCancelImport(job),
    moreFailures: Math.max(0, job.failed_bookmarks - job.failed_bookmark_details.length),
  };
}
