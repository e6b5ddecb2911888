export { classifyAddress, isBlockedAddress } from './address-guard';
export {
  FETCH_ERROR_KINDS,
  FetchError,
  type FetchErrorKind,
  isFetchError,
} from './errors';
export {
  createFetcher,
  type Fetcher,
  type FetcherConfig,
  type FetcherOptions,
  type FetchOptions,
  type FetchResult,
  MAX_REDIRECTS,
} from './fetcher';
export {
  createOnDemandQuota,
  type OnDemandQuota,
  type OnDemandQuotaOptions,
} from './on-demand-quota';
export { parseRetryAfter } from './retry-after';
