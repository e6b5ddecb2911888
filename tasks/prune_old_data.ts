/**
 * prune_old_data {}: what the app keeps only for a while — feed items past
 * FEED_ITEMS_RETAINED per feed, expired sessions, uploads of imports that
 * failed more than IMPORT_FAILED_UPLOAD_HOURS ago and uploads no import
 * refers to. Hourly (cron); each part is independent, so one failing does
 * not keep the others from running, and the job fails (and is retried) after.
 */
import type { Task } from 'graphile-worker';
import { pruneFeedItems } from '../src/feeds';
import { removeStaleUploads } from '../src/imports';
import { purgeExpiredSessions } from '../src/users';
import type { TaskDeps } from './deps';

export function pruneOldDataTask(deps: TaskDeps): Task {
  const log = deps.logger.child({ task: 'prune_old_data' });
  const { knex } = deps.db;
  const { quotas, dataDir } = deps.config;
  const parts: Record<string, () => Promise<number>> = {
    feedItems: () => pruneFeedItems(knex, quotas.feedItemsRetained),
    sessions: () => purgeExpiredSessions(knex),
    uploads: () => removeStaleUploads(knex, dataDir, quotas.failedUploadRetentionHours),
  };
  return async () => {
    const removed: Record<string, number> = {};
    const failures: unknown[] = [];
    for (const [name, run] of Object.entries(parts)) {
      try {
        removed[name] = await run();
      } catch (error) {
        failures.push(error);
        log.warn({ err: error, part: name }, 'pruning failed');
      }
    }
    log.info({ removed }, 'old data pruned');
    if (failures.length > 0) throw failures[0];
  };
}
