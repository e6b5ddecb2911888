/**
 * import_bookmarks {importJobId}: works through one ImportJob (see
 * src/imports/processor.ts). A problem with the file is recorded on the job
 * and the task succeeds; an unexpected error (the database) throws and
 * graphile-worker retries — the job resumes from its cursor — until the last
 * attempt, which marks the job failed so it can be retried by hand.
 */
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { failImportJob, ImportInterrupted, processImport } from '../src/imports';
import type { TaskDeps } from './deps';

const Payload = z.object({ importJobId: z.number().int().positive() });

export function importBookmarksTask(deps: TaskDeps): Task {
  const log = deps.logger.child({ task: 'import_bookmarks' });
  return async (payload, helpers) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success) {
      log.error({ payload }, 'import_bookmarks payload is not {importJobId}; dropping the job');
      return;
    }
    const { importJobId } = parsed.data;
    try {
      await processImport(importJobId, {
        knex: deps.db.knex,
        databaseUrl: deps.db.url,
        logger: log,
        batchSize: deps.config.imports.batchSize,
        signal: helpers.abortSignal,
      });
    } catch (error) {
      const lastAttempt = helpers.job.attempts >= helpers.job.max_attempts;
      if (error instanceof ImportInterrupted || !lastAttempt) throw error;
      log.error({ err: error, importJobId }, 'import failed on its last attempt');
      await failImportJob(
        deps.db.knex,
        importJobId,
        'The import stopped on an unexpected error. Retry it; if it fails again, tell the administrator.',
      );
    }
  };
}
