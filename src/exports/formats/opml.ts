/**
 * OPML 2.0: one outline per bookmark, type="link" with `url`, or type="rss"
 * with `xmlUrl` (and the page as `htmlUrl`) when its feed is known, so feed
 * readers can subscribe to the lot. Tags go in `category` as "/tag" paths.
 */
import type { ExportBookmark } from '../query';
import { escapeMarkup } from './escape';
import type { ExportWriter } from './types';

const attr = (value: string) => escapeMarkup(value, true);

export const opmlWriter: ExportWriter = {
  contentType: 'text/x-opml; charset=utf-8',
  filename: 'pebbling-club-bookmarks.opml',
  header: ({ username, now }) =>
    [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<opml version="2.0">',
      '<head>',
      `<title>${escapeMarkup(`Bookmarks of ${username}`)}</title>`,
      `<dateCreated>${now.toUTCString()}</dateCreated>`,
      '</head>',
      '<body>',
      '',
    ].join('\n'),
  item: (bookmark: ExportBookmark) => {
    const text = bookmark.title || bookmark.url;
    const common = [
      `text="${attr(text)}"`,
      `title="${attr(text)}"`,
      `created="${bookmark.created_at.toUTCString()}"`,
    ];
    if (bookmark.tags.length > 0) {
      common.push(`category="${attr(bookmark.tags.map((t) => `/${t}`).join(','))}"`);
    }
    if (bookmark.description) common.push(`description="${attr(bookmark.description)}"`);
    const typed = bookmark.feed_url
      ? `type="rss" xmlUrl="${attr(bookmark.feed_url)}" htmlUrl="${attr(bookmark.url)}"`
      : `type="link" url="${attr(bookmark.url)}"`;
    return `<outline ${typed} ${common.join(' ')}/>\n`;
  },
  separator: '',
  footer: () => '</body>\n</opml>\n',
};
