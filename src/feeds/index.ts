/** What other code may import from the feeds domain. */
export { nextPollDelayMs } from './backoff';
export { discoverFeedLinks, type FoundFeed, findFeeds } from './discover';
export { fetchFeedsJson, getFeedsJson } from './feeds-json';
export { createHostLimiter, type HostLimiter } from './host-limiter';
export { listFeedItems } from './items';
export {
  FEED_POLL_FAILURES,
  FEED_POLL_STATUSES,
  type FeedPollStatus,
  recordFeedPoll,
} from './metrics';
export { Feed, FeedItem, FeedSubscription } from './models';
export { CATEGORY_TITLE_MAX, exportOpml, importOpml, parseOpml } from './opml';
export { FeedParseError, type ParsedFeed, parseFeedDocument } from './parser';
export { canViewFeed } from './policies';
export { createPollQuota, type PollQuota } from './poll-quota';
export { queueFeedPolls, waitForJobs } from './polls';
export { describeStatus, formatWhen } from './presenters';
export { processFeed } from './processor';
export { type RefreshDeps, type RefreshOutcome, refreshFeed } from './refresh';
export { pruneFeedItems } from './retention';
export { safeUrl, sanitizeHtml } from './sanitize';
export {
  dueFeedIds,
  feedPollCronPattern,
  POLLED_FEED_SQL,
  pollJobKey,
  scheduleFeedPolls,
} from './scheduler';
export { since as sinceField } from './schemas';
export {
  type EnsuredFeed,
  ensureFeed,
  type FeedsDeps,
  followFeedUrl,
  getUserFeed,
  listBookmarkFeeds,
  listUserFeeds,
  reenableFeed,
  subscribeToFeed,
  unsubscribeFromFeed,
} from './service';
export { parseSince } from './since';
export { normaliseFeedUrl } from './urls';
