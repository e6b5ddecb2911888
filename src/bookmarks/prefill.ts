/**
 * What /bookmarks/new shows: the bookmark the owner already has for the URL
 * (the form then edits it), or the query's values completed by a quick
 * unfurl with a short timeout, so a slow site never holds up the form. When
 * that unfurl fails the form says why (unfurlError) instead of staying blank.
 */
import type { Fetcher } from '../fetcher';
import { unfurlPage } from '../unfurl';
import { getBookmarkPreferences } from './preferences';
import type { BookmarkRecord } from './records';
import { MAX_TITLE_LENGTH } from './schemas';
import { findOwnBookmarkByUrl } from './service';
import { parseTags } from './tags';
import { parseBookmarkUrl } from './url';

export interface FormValues {
  url: string;
  title: string;
  description: string;
  tags: string;
  private: boolean;
}

export const QUICK_UNFURL_MAX_MS = 3_000;

export function valuesOf(bookmark: BookmarkRecord): FormValues {
  return {
    url: bookmark.url,
    title: bookmark.title,
    description: bookmark.description,
    tags: bookmark.tags.join(' '),
    private: bookmark.private,
  };
}

export interface Prefill {
  readonly existing?: BookmarkRecord;
  readonly values: FormValues;
  /** Why the page could not be read to fill in the form, if it could not. */
  readonly unfurlError?: string;
}

export async function prefillBookmarkForm(input: {
  readonly ownerId: number;
  readonly query: { url?: string; title?: string; description?: string; tags?: string };
  readonly fetcher: Fetcher;
  readonly timeoutMs: number;
}): Promise<Prefill> {
  const { query } = input;
  const values: FormValues = {
    url: query.url?.trim() ?? '',
    title: query.title?.trim().slice(0, MAX_TITLE_LENGTH) ?? '',
    description: query.description ?? '',
    tags: parseTags(query.tags).join(' '),
    private: (await getBookmarkPreferences(input.ownerId)).privateByDefault,
  };
  if (!values.url) return { values };
  const existing = await findOwnBookmarkByUrl({ ownerId: input.ownerId, url: values.url });
  if (existing) return { existing, values: valuesOf(existing) };
  if (values.title && values.description) return { values };
  let url: string;
  try {
    url = parseBookmarkUrl(values.url).href;
  } catch {
    return { values }; // the form will say what is wrong with it on submit
  }
  const outcome = await unfurlPage(input.fetcher, url, {
    timeoutMs: Math.min(input.timeoutMs, QUICK_UNFURL_MAX_MS),
  });
  if (!outcome.ok) return { values, unfurlError: outcome.error };
  values.title ||= outcome.metadata.title?.slice(0, MAX_TITLE_LENGTH) ?? '';
  values.description ||= outcome.metadata.description ?? '';
  return { values };
}
