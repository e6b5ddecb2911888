/**
 * Netscape bookmark HTML, the format browsers, linkding, Pinboard and Shaarli
 * import: DOCTYPE NETSCAPE-Bookmark-file-1, one flat <DL>, dates in epoch
 * seconds, tags comma-separated, PRIVATE="1" for private bookmarks, the
 * description in <DD>.
 */
import type { ExportBookmark } from '../query';
import { epochSeconds, escapeMarkup } from './escape';
import type { ExportWriter } from './types';

export const netscapeWriter: ExportWriter = {
  contentType: 'text/html; charset=utf-8',
  filename: 'pebbling-club-bookmarks.html',
  header: () =>
    [
      '<!DOCTYPE NETSCAPE-Bookmark-file-1>',
      '<!-- This is an automatically generated file.',
      '     It will be read and overwritten.',
      '     DO NOT EDIT! -->',
      '<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">',
      '<TITLE>Bookmarks</TITLE>',
      '<H1>Bookmarks</H1>',
      '<DL><p>',
      '',
    ].join('\n'),
  item: (bookmark: ExportBookmark) => {
    const attributes = [
      `HREF="${escapeMarkup(bookmark.url, true)}"`,
      `ADD_DATE="${epochSeconds(bookmark.created_at)}"`,
      `LAST_MODIFIED="${epochSeconds(bookmark.updated_at)}"`,
      `PRIVATE="${bookmark.private ? 1 : 0}"`,
      `TAGS="${escapeMarkup(bookmark.tags.join(','), true)}"`,
    ];
    if (bookmark.feed_url) attributes.push(`FEED_URL="${escapeMarkup(bookmark.feed_url, true)}"`);
    const link = `<DT><A ${attributes.join(' ')}>${escapeMarkup(bookmark.title)}</A>\n`;
    return bookmark.description ? `${link}<DD>${escapeMarkup(bookmark.description)}\n` : link;
  },
  separator: '',
  footer: () => '</DL><p>\n',
};
