/**
 * Which fields the person changed on a bookmark form. The form carries the
 * values it was drawn with (base_url, base_title…); a field still equal to its
 * base was not touched, so saving leaves it as it is now — even if an unfurl
 * or another tab changed it since the form was drawn. A form without a base
 * (a script, an old page) counts every field as changed.
 */
import type { BookmarkForm } from './schemas';
import type { BookmarkChanges } from './service';
import { parseTags } from './tags';

const lines = (text: string) => text.replace(/\r\n?/g, '\n');

function sameTags(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((tag) => b.includes(tag));
}

export function changedFields(form: BookmarkForm): BookmarkChanges {
  const changes: {
    url?: string;
    title?: string;
    description?: string;
    tags?: string[];
    private?: boolean;
  } = {};
  if (form.base_url === undefined || form.base_url.trim() !== form.url) changes.url = form.url;
  if (form.base_title === undefined || form.base_title.trim() !== form.title) {
    changes.title = form.title;
  }
  if (
    form.base_description === undefined ||
    lines(form.base_description) !== lines(form.description)
  ) {
    changes.description = form.description;
  }
  if (form.base_tags === undefined || !sameTags(parseTags(form.base_tags), form.tags)) {
    changes.tags = form.tags;
  }
  if (form.base_private === undefined || (form.base_private === 'on') !== form.private) {
    changes.private = form.private;
  }
  return changes;
}
