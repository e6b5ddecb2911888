import type { CronItem } from 'graphile-worker';
import type { Config } from '../src/config';

/** Recurring jobs. graphile-worker runs each once per match across all workers. */
export function cronItems(_config: Config): CronItem[] {
  return [];
}
