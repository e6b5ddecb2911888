/**
 * One error type for everything a user may be told about. `code` is stable
 * (clients may switch on it); `message` is safe to show. Anything else that
 * escapes becomes a generic 500, logged with its stack, never shown.
 */
export class AppError extends Error {
  /** For 429 and 503: when to try again (the Retry-After header), when known. */
  retryAfterSeconds?: number;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }

  /** 5xx are our fault and worth a log line with a stack; 4xx are the caller's. */
  get reportable(): boolean {
    return this.status >= 500;
  }
}

/**
 * Refused for the state of things (409) or a quota (429): a form's button
 * that may not act now. Shown to a person as a message on the page they came
 * from rather than as an error page.
 */
export function isRefusal(error: unknown): error is AppError {
  return error instanceof AppError && (error.status === 409 || error.status === 429);
}

export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError(400, 'bad_request', message, details);
export const validationFailed = (message: string, details?: Record<string, unknown>) =>
  new AppError(422, 'validation_failed', message, details);
export const unauthorized = (message = 'Log in to do this.') =>
  new AppError(401, 'unauthorized', message);
export const forbidden = (message = 'You may not do this.') =>
  new AppError(403, 'forbidden', message);
export const notFound = (message = 'Not found.') => new AppError(404, 'not_found', message);
export const conflict = (message: string) => new AppError(409, 'conflict', message);
export const payloadTooLarge = (message: string) => new AppError(413, 'payload_too_large', message);
export const tooManyRequests = (message: string, retryAfterSeconds?: number) => {
  const error = new AppError(429, 'too_many_requests', message);
  error.retryAfterSeconds = retryAfterSeconds;
  return error;
};
export const serviceUnavailable = (message: string) =>
  new AppError(503, 'service_unavailable', message);
