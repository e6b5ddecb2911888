/** What other code may import from the unfurl domain. */
export { type UnfurlBookmarkResult, unfurlBookmark } from './apply';
export { extractMetadata, type PageMetadata } from './extract';
export { type UnfurlOptions, type UnfurlOutcome, unfurlPage } from './unfurl';
