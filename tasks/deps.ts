import type { Config } from '../src/config';
import type { Database } from '../src/db/connection';
import type { Logger } from '../src/logging/logger';

/** What every task factory is given. Apart from index.ts, which imports the tasks. */
export interface TaskDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
}
