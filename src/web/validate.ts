import { z } from 'zod';
import { AppError, badRequest, validationFailed } from '../errors';

/** Field name → first problem, for forms that show errors next to their fields. */
export type FieldErrors = Record<string, string>;

export type Parsed<T> =
  | { ok: true; value: T }
  | { ok: false; errors: FieldErrors; message: string };

export function parseForm<S extends z.ZodType>(schema: S, input: unknown): Parsed<z.infer<S>> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return { ok: true, value: result.data };
  const errors: FieldErrors = {};
  for (const issue of result.error.issues) {
    const key = issue.path.join('.') || '_';
    errors[key] ??= issue.message;
  }
  return { ok: false, errors, message: Object.values(errors)[0] ?? 'Invalid input.' };
}

/** The field errors a service's 4xx carries (details.fields), or its message as the form's. */
export function formErrors(error: AppError): FieldErrors {
  const fields = error.details?.fields;
  return fields && typeof fields === 'object' ? (fields as FieldErrors) : { _: error.message };
}

/** For JSON endpoints: the first problem becomes a 422 naming the field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown): z.infer<S> {
  const parsed = parseForm(schema, input);
  if (parsed.ok) return parsed.value;
  const [field] = Object.keys(parsed.errors);
  throw new AppError(
    422,
    'validation_failed',
    field && field !== '_' ? `${field}: ${parsed.message}` : parsed.message,
    {
      fields: parsed.errors,
    },
  );
}

/** A same-site path to go to after a form, never an absolute URL (open redirect). */
export function safeNext(next: unknown, fallback: string): string {
  if (
    typeof next !== 'string' ||
    !next.startsWith('/') ||
    next.startsWith('//') ||
    next.includes('\\')
  ) {
    return fallback;
  }
  return next;
}

/** The parsed form or JSON body as a plain record (empty when there is none). */
export function bodyOf(ctx: { request: { body?: unknown } }): Record<string, unknown> {
  const body = ctx.request.body;
  return body && typeof body === 'object' && !Array.isArray(body)
    ? (body as Record<string, unknown>)
    : {};
}

/** The most items one page of a list holds, on the pages and in the API. */
export const MAX_PAGE_SIZE = 200;

/** A page size: any whole number from 1 to MAX_PAGE_SIZE; `help` is every refusal's message. */
export function pageSizeField(help: string) {
  return z.coerce.number({ error: help }).int(help).min(1, help).max(MAX_PAGE_SIZE, help);
}

/** The body's media type, for a 415: what this method takes (RFC 9110, 15.5.16). */
const ACCEPT_HEADER: Record<string, string> = { POST: 'Accept-Post', PATCH: 'Accept-Patch' };

/** Unknown fields named in a 422 at most: a hostile body may hold thousands. */
const MAX_NAMED = 20;

/** What parseJsonBody needs of a Koa context. */
export interface JsonRequest {
  readonly method: string;
  readonly request: {
    readonly body?: unknown;
    readonly length: number | undefined;
    readonly type: string;
    is(type: string): string | false | null;
  };
  set(field: string, value: string): void;
}

/**
 * The body of a JSON API request, read by `schema`. The one place these
 * rules live, for every API endpoint that takes a body:
 * - a body that is not `application/json` is a 415 (a form or text would
 *   otherwise read as no fields at all), with Accept-Post or Accept-Patch;
 * - no body (or an empty one) is an empty object; an array or a scalar is a
 *   malformed request (400), not a set of invalid fields;
 * - a field `schema` does not have is a 422 naming it (a typo such as
 *   "titel" must not be silently ignored); `_csrf`, the token a browser
 *   session may send in the body, is not a field;
 * - then the first field that breaks `schema`'s rules is a 422 naming it.
 * `subject` ends the unknown-field message: "…: a bookmark has url, title".
 */
export function parseJsonBody<S extends z.ZodObject>(
  ctx: JsonRequest,
  schema: S,
  subject = 'this request takes',
): z.infer<S> {
  // is() is false for a body of another type or none given; null for no body.
  if (ctx.request.length !== 0 && ctx.request.is('application/json') === false) {
    const header = ACCEPT_HEADER[ctx.method];
    if (header) ctx.set(header, 'application/json');
    throw new AppError(
      415,
      'unsupported_media_type',
      `Send the body as JSON, with Content-Type: application/json (not ${ctx.request.type || 'no Content-Type'}).`,
    );
  }
  const body = ctx.request.body ?? {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  const { _csrf: _token, ...fields } = body as Record<string, unknown>;
  const known = Object.keys(schema.shape);
  const unknown = Object.keys(fields).filter((key) => !known.includes(key));
  if (unknown.length > 0) {
    const named = unknown.slice(0, MAX_NAMED).map((key) => key.slice(0, 100));
    const more = unknown.length > MAX_NAMED ? ` and ${unknown.length - MAX_NAMED} more` : '';
    const names = named.map((key) => JSON.stringify(key)).join(', ') + more;
    throw validationFailed(
      `Unknown field${unknown.length === 1 ? '' : 's'} ${names}: ${subject} ${known.join(', ')}.`,
      { fields: Object.fromEntries(named.map((key) => [key, 'Unknown field.'])) },
    );
  }
  return parseOrThrow(schema, fields);
}
