/**
 * What the bookmark form template is given, built in one place for the add,
 * edit and review cases. `base` is what the form was drawn with (it goes back
 * as base_* so the save knows what the person changed); `focus` is the first
 * field with an error, which gets autofocus.
 */
import type { ParameterizedContext } from 'koa';
import type { FieldErrors } from '../web/validate';
import { bodyOf } from '../web/validate';
import type { FormValues } from './prefill';
import type { BookmarkRecord } from './records';
import type { ResaveField } from './resave';
import { MAX_TAGS } from './tags';

export type Next = 'close' | 'profile' | 'same' | undefined;

export interface FormPage {
  readonly action: string;
  readonly existing?: BookmarkRecord;
  readonly values: FormValues;
  readonly base?: FormValues;
  readonly errors?: FieldErrors;
  readonly via: 'web' | 'bookmarklet';
  readonly next: Next;
  readonly popup: boolean;
  /** A notice above the form (the review of a resave). */
  readonly notice?: string;
  /** For a review: what the bookmark had in the fields the person would change. */
  readonly was?: Partial<Record<ResaveField, string>>;
  readonly unfurlError?: string;
}

export const FORM_FIELDS = ['url', 'title', 'description', 'tags'] as const;

export function firstInvalid(errors: FieldErrors | undefined): string | undefined {
  return FORM_FIELDS.find((field) => errors?.[field] !== undefined);
}

export function nextOf(value: unknown): Next {
  return value === 'close' || value === 'profile' || value === 'same' ? value : undefined;
}

/** What the form sent, for showing it again with its errors. */
export function submittedValues(ctx: ParameterizedContext): {
  values: FormValues;
  base?: FormValues;
} {
  const body = bodyOf(ctx);
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  const values = {
    url: text('url'),
    title: text('title'),
    description: text('description'),
    tags: text('tags'),
    private: body.private !== undefined && body.private !== '',
  };
  if (typeof body.base_url !== 'string') return { values };
  const base = {
    url: text('base_url'),
    title: text('base_title'),
    description: text('base_description'),
    tags: text('base_tags'),
    private: body.base_private === 'on',
  };
  return { values, base };
}

/** How the form came: the hidden fields it carries through a failed save. */
export function carried(ctx: ParameterizedContext) {
  const body = bodyOf(ctx);
  return {
    via: body.via === 'bookmarklet' ? ('bookmarklet' as const) : ('web' as const),
    next: nextOf(body.next),
    popup: Boolean(body.popup),
  };
}

/** The review notice and the "you had" values for a resave that needs one. */
export function reviewOf(existing: BookmarkRecord, conflicts: readonly ResaveField[]) {
  const was: Partial<Record<ResaveField, string>> = {};
  const errors: Record<string, string> = {};
  for (const field of conflicts) {
    if (field === 'private') was.private = existing.private ? 'private' : 'public';
    else if (field === 'tags') {
      was.tags = existing.tags.join(' ');
      errors.tags = `A bookmark has at most ${MAX_TAGS} tags: this one has ${existing.tags.length}, and yours would take it past that. Remove some, then save.`;
    } else was[field] = existing[field];
  }
  const on = existing.createdAt.toISOString().slice(0, 10);
  return {
    notice: `You already saved this page on ${on}. Nothing has been saved yet: this form now edits that bookmark, with your changes filled in. Check the fields marked “You had”, then save.`,
    was,
    errors,
  };
}
