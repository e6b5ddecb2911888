/** What other code may import from the reader. */
export { readerApiRoutes } from './api-routes';
export {
  type Category,
  createCategory,
  deleteCategory,
  listCategories,
  renameCategory,
  setFeedCategory,
} from './categories';
export {
  countUnread,
  type FollowedFeed,
  listFollowedFeeds,
  UNREAD_TOTAL_CAP,
  type UnreadTotal,
  unreadText,
} from './followed-feeds';
export {
  findReaderItem,
  type ItemCursor,
  type ItemPage,
  type ItemScope,
  listReaderItems,
  newestItemId,
  type ReaderItem,
} from './item-list';
export { unreadInNavigation } from './nav';
export { getPollStatus, type PollRequest, type PollState, pollFeedsNow } from './poll-now';
export { markItems, markOlderThan } from './read-state';
export { readerRoutes } from './routes';
