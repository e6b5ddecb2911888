import type { ApiToken } from '../users';
import type { FieldErrors } from '../web/validate';

export interface TokenRow {
  readonly id: number;
  readonly name: string;
  readonly prefix: string;
  readonly created: string;
  readonly lastUsed: string;
}

const day = (date: Date) => date.toISOString().slice(0, 10);

export function presentTokens(tokens: readonly ApiToken[]): TokenRow[] {
  return tokens.map((token) => ({
    id: token.id,
    name: token.name,
    prefix: token.token_prefix,
    created: day(token.created_at),
    lastUsed: token.last_used_at ? day(token.last_used_at) : 'never',
  }));
}

/**
 * The one form of a page that was posted and failed, for the templates'
 * field macro (settings/_fields.njk): its errors and values, and the field
 * that gets the focus (the first with an error).
 */
export interface PostedForm {
  readonly form: string;
  readonly errors: FieldErrors;
  readonly values: Record<string, unknown>;
  readonly focus: string | undefined;
}

export function postedForm(
  form: string,
  errors: FieldErrors,
  values: Record<string, unknown>,
): PostedForm {
  return { form, errors, values, focus: Object.keys(errors).find((key) => key !== '_') };
}
