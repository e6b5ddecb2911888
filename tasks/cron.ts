import type { CronItem } from 'graphile-worker';
import type { Config } from '../src/config';
import { feedPollCronPattern } from '../src/feeds';

/** Recurring jobs. graphile-worker runs each once per match across all workers. */
export function cronItems(config: Config): CronItem[] {
  return [
    {
      task: 'schedule_feed_polls',
      identifier: 'schedule_feed_polls',
      match: feedPollCronPattern(config.feeds.pollIntervalMinutes),
    },
    // Hourly, off the hour (when the feed polls are queued).
    { task: 'prune_old_data', identifier: 'prune_old_data', match: '23 * * * *' },
  ];
}
