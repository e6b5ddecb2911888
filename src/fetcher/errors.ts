import net from 'node:net';

/**
 * Every way a fetch can fail, as one closed set. Feed metrics use these kinds
 * as their `status` label, so a new kind is a new label value: add it to the
 * docs (docs/metrics.md) when you add it here.
 */
export const FETCH_ERROR_KINDS = [
  'not_found',
  'gone',
  'http_error',
  'timeout',
  'too_large',
  'blocked',
  'network_error',
] as const;

export type FetchErrorKind = (typeof FETCH_ERROR_KINDS)[number];

export interface FetchErrorDetails {
  /** The HTTP status of the response that failed, when there was one. */
  readonly status?: number;
  /** From Retry-After on a 429 or 503, in seconds from now. */
  readonly retryAfterSeconds?: number | null;
  readonly url?: string;
  readonly cause?: unknown;
}

export class FetchError extends Error {
  readonly status: number | undefined;
  readonly retryAfterSeconds: number | null;
  readonly url: string | undefined;

  constructor(
    readonly kind: FetchErrorKind,
    message: string,
    details: FetchErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'FetchError';
    this.status = details.status;
    this.retryAfterSeconds = details.retryAfterSeconds ?? null;
    this.url = details.url;
  }
}

export function isFetchError(error: unknown): error is FetchError {
  return error instanceof FetchError;
}

/**
 * Thrown inside the connector when an address is refused. A distinct class
 * (and code) so the fetcher can recognise it after undici has carried it
 * through its own error paths. Its message goes to people (a feed's last
 * error, a form's answer): it names what they gave — the host name, or the
 * address they typed — never what our DNS answered for a name, and it names
 * the setting that would allow it.
 */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_FETCH_BLOCKED_ADDRESS';

  constructor(
    /** The host name or literal address from the URL. */
    readonly host: string,
    /** ipaddr.js's name for the refused range; not in the message for a host name. */
    readonly range: string,
  ) {
    const what =
      net.isIP(host.replace(/^\[|\]$/g, '')) !== 0
        ? `a ${range} address`
        : 'not a public internet address';
    super(
      `refused to connect to ${host}: ${what} (FETCH_ALLOW_PRIVATE_NETWORKS=true allows private networks)`,
    );
    this.name = 'BlockedAddressError';
  }
}
