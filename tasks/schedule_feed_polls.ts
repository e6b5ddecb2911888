/**
 * schedule_feed_polls {}: queues a poll_feed job for each due, enabled feed
 * (job-keyed, so never twice). Run by cron every FEED_POLL_INTERVAL.
 */
import type { Task } from 'graphile-worker';
import { scheduleFeedPolls } from '../src/feeds';
import type { TaskDeps } from './deps';

export function scheduleFeedPollsTask(deps: TaskDeps): Task {
  const log = deps.logger.child({ task: 'schedule_feed_polls' });
  return async () => {
    const { queued } = await scheduleFeedPolls({ knex: deps.db.knex, config: deps.config });
    if (queued > 0) log.info({ queued }, 'feed polls queued');
  };
}
