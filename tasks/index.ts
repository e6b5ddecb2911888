import type { Task, TaskList } from 'graphile-worker';
import type { Config } from '../src/config';
import type { Database } from '../src/db/connection';
import type { Logger } from '../src/logging/logger';
import type { TaskName } from './payloads';

export interface TaskDeps {
  readonly config: Config;
  readonly logger: Logger;
  readonly db: Database;
}

/**
 * The explicit task list: the compiler checks that every task named in
 * TaskPayloads has an implementation here.
 */
export function createTaskList(_deps: TaskDeps): TaskList {
  const tasks: Partial<Record<TaskName, Task>> = {};
  return tasks as TaskList;
}
