/**
 * poll_feed {feedId}: refreshes one feed. A feed's own failure (404, timeout,
 * bad XML…) is recorded on its row and in the metrics, and the job succeeds;
 * only an unexpected error (the database) throws, and graphile-worker retries.
 */
import type { Task } from 'graphile-worker';
import { z } from 'zod';
import { createHostLimiter, refreshFeed } from '../src/feeds';
import { createFetcher } from '../src/fetcher';
import type { TaskDeps } from './deps';

const Payload = z.object({ feedId: z.number().int().positive() });

export function pollFeedTask(deps: TaskDeps): Task {
  // One fetcher (connection pool) and one per-host limit for every poll this worker runs.
  const fetcher = createFetcher(deps.config.fetch);
  const limiter = createHostLimiter(deps.config.feeds.perHostConcurrency);
  const log = deps.logger.child({ task: 'poll_feed' });
  return async (payload) => {
    const parsed = Payload.safeParse(payload);
    if (!parsed.success) {
      log.error({ payload }, 'poll_feed payload is not {feedId}; dropping the job');
      return;
    }
    const outcome = await refreshFeed(
      { knex: deps.db.knex, fetcher, config: deps.config, limiter },
      { feedId: parsed.data.feedId },
    );
    const fields = { feedId: outcome.feedId, status: outcome.status, newItems: outcome.newItems };
    if (outcome.error) log.info({ ...fields, error: outcome.error }, 'feed poll failed');
    else log.debug(fields, 'feed polled');
    if (outcome.disabled && outcome.status !== 'skipped') {
      log.warn({ feedId: outcome.feedId, url: outcome.url }, 'feed disabled after errors');
    }
  };
}
