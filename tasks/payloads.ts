/**
 * Every task's payload, declared once: addJob checks it when queuing and each
 * task parses it when running (a payload from an older release may differ).
 * Ids only, never rows: a row may change before the job runs. (addJob also
 * stores the queuing request's trace context under `_traceContext`; the
 * runner takes it out before a task sees its payload: src/jobs/trace-context.ts.)
 */
export interface TaskPayloads {
  unfurl_bookmark: { bookmarkId: number };
  poll_feed: { feedId: number };
  schedule_feed_polls: Record<string, never>;
  import_bookmarks: { importJobId: number };
  prune_old_data: Record<string, never>;
}

export type TaskName = keyof TaskPayloads;
