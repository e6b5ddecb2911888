/** `?format=markdown`: a list as Markdown, grouped by the day each was saved (UTC). */
import type { BookmarkRecord } from './records';

function escapeText(text: string): string {
  return text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/([\\`*_[\]<>#|!])/g, '\\$1');
}

/** Parentheses and spaces would end a Markdown link target early. */
function escapeUrl(url: string): string {
  return url.replace(
    /[()\s<>]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

export function renderMarkdown(heading: string, bookmarks: readonly BookmarkRecord[]): string {
  const lines = [`# ${escapeText(heading)}`, ''];
  if (bookmarks.length === 0) lines.push('No bookmarks.', '');
  let day = '';
  for (const bookmark of bookmarks) {
    const date = bookmark.createdAt.toISOString().slice(0, 10);
    if (date !== day) {
      if (day) lines.push('');
      lines.push(`## ${date}`, '');
      day = date;
    }
    const title = escapeText(bookmark.title || bookmark.url);
    let line = `- [${title}](${escapeUrl(bookmark.url)})`;
    if (bookmark.description.trim()) line += ` — ${escapeText(bookmark.description)}`;
    if (bookmark.tags.length > 0) {
      line += ` ${bookmark.tags.map((tag) => `#${escapeText(tag)}`).join(' ')}`;
    }
    lines.push(line);
  }
  if (day) lines.push('');
  return lines.join('\n');
}
