/**
 * The app's own format: an ActivityStreams 2.0 Collection of Link objects
 * (url, name, summary, feedUrl, published, updated, tag). Private bookmarks
 * carry `"private": true`, which our import reads back.
 */
import type { ExportBookmark } from '../query';
import type { ExportWriter } from './types';

export const activityStreamsWriter: ExportWriter = {
  contentType: 'application/activity+json; charset=utf-8',
  filename: 'pebbling-club-bookmarks.json',
  header: ({ username, total, now }) =>
    `{"@context":"https://www.w3.org/ns/activitystreams","type":"Collection",` +
    `"name":${JSON.stringify(`Bookmarks of ${username}`)},"published":"${now.toISOString()}",` +
    `"totalItems":${total},"items":[\n`,
  item: (bookmark: ExportBookmark) =>
    JSON.stringify({
      type: 'Link',
      url: bookmark.url,
      name: bookmark.title,
      summary: bookmark.description,
      ...(bookmark.feed_url ? { feedUrl: bookmark.feed_url } : {}),
      published: bookmark.created_at.toISOString(),
      updated: bookmark.updated_at.toISOString(),
      tag: bookmark.tags,
      ...(bookmark.private ? { private: true } : {}),
    }),
  separator: ',\n',
  footer: () => '\n]}\n',
};
