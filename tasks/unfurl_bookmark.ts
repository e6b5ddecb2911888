/**
 * unfurl_bookmark {bookmarkId}: fetches the bookmarked page and stores what it
 * says about itself. A page that cannot be read is recorded on the bookmark
 * and the job succeeds; only an unexpected error (the database) throws, and
 * graphile-worker retries (the job is queued with a few attempts only).
 */
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { createFetcher } from '../src/fetcher';
import { unfurlBookmark } from '../src/unfurl';
import type { TaskDeps } from './deps';

const Payload = z.object({ bookmarkId: z.number().int().positive() });

export function unfurlBookmarkTask(deps: TaskDeps): Task {
  // One fetcher (connection pool) for every unfurl this worker runs.
  const fetcher = createFetcher(deps.config.fetch);
  const log = deps.logger.child({ task: 'unfurl_bookmark' });
  return async (payload) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success) {
      log.error({ payload }, 'unfurl_bookmark payload is not {bookmarkId}; dropping the job');
      return;
    }
    const result = await unfurlBookmark(
      { knex: deps.db.knex, fetcher },
      { bookmarkId: parsed.data.bookmarkId },
    );
    log.debug({ bookmarkId: parsed.data.bookmarkId, ...result }, 'bookmark unfurled');
  };
}
