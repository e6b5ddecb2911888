import type { z } from 'zod';
import { AppError, badRequest } from '../errors';

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

/**
 * A JSON API body that must be an object (none counts as empty). An array or
 * a scalar is a malformed request (400), not a set of invalid fields.
 */
export function jsonObjectBody(ctx: { request: { body?: unknown } }): Record<string, unknown> {
  const body = ctx.request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}
