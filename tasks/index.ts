import type { Task, TaskList } from 'graphile-worker';
import type { TaskDeps } from './deps';
import { importBookmarksTask } from './import_bookmarks';
import type { TaskName } from './payloads';
import { pollFeedTask } from './poll_feed';
import { pruneOldDataTask } from './prune_old_data';
import { scheduleFeedPollsTask } from './schedule_feed_polls';
import { unfurlBookmarkTask } from './unfurl_bookmark';

export type { TaskDeps } from './deps';

/**
 * The explicit task list: the compiler checks that every task named in
 * TaskPayloads has an implementation here.
 */
export function createTaskList(deps: TaskDeps): TaskList {
  const tasks: Partial<Record<TaskName, Task>> = {};
  tasks.import_bookmarks = importBookmarksTask(deps);
  tasks.poll_feed = pollFeedTask(deps);
  tasks.prune_old_data = pruneOldDataTask(deps);
  tasks.schedule_feed_polls = scheduleFeedPollsTask(deps);
  tasks.unfurl_bookmark = unfurlBookmarkTask(deps);
  return tasks as TaskList;
}
