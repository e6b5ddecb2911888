/**
 * Atom 1.0 (RFC 4287) for a user's or a user's tag's public bookmarks. Built
 * as text with every value escaped and characters XML forbids removed, so a
 * title with "<", "&" or a stray control character still gives a valid feed.
 */
import type { BookmarkRecord } from './records';

// Characters outside XML 1.0's Char production make a strict parser fail.
const INVALID_XML = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

export function escapeXml(value: string): string {
  return value
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

export interface AtomFeed {
  /** The feed's own URL (rel="self"), also its id. */
  readonly selfUrl: string;
  /** The HTML page with the same list (rel="alternate"). */
  readonly pageUrl: string;
  readonly title: string;
  readonly author: string;
  /** When there are no entries: the feed still needs an `updated`. */
  readonly fallbackUpdated: Date;
  readonly entries: readonly BookmarkRecord[];
}

/** tag: URIs (RFC 4151) stay stable if the server moves to another path. */
function entryId(host: string, bookmark: BookmarkRecord): string {
  return `tag:${host},${bookmark.createdAt.toISOString().slice(0, 10)}:bookmark:${bookmark.id}`;
}

function entry(host: string, bookmark: BookmarkRecord): string {
  const parts = [
    '  <entry>',
    `    <id>${escapeXml(entryId(host, bookmark))}</id>`,
    `    <title type="text">${escapeXml(bookmark.title || bookmark.url)}</title>`,
    `    <link rel="alternate" href="${escapeXml(bookmark.url)}"/>`,
    `    <published>${bookmark.createdAt.toISOString()}</published>`,
    `    <updated>${bookmark.updatedAt.toISOString()}</updated>`,
    `    <author><name>${escapeXml(bookmark.ownerUsername)}</name></author>`,
    ...bookmark.tags.map((tag) => `    <category term="${escapeXml(tag)}"/>`),
  ];
  if (bookmark.description.trim()) {
    parts.push(`    <content type="text">${escapeXml(bookmark.description)}</content>`);
  }
  parts.push('  </entry>');
  return parts.join('\n');
}

export function renderAtom(feed: AtomFeed): string {
  const host = new URL(feed.selfUrl).hostname;
  const newest = feed.entries.reduce<Date | undefined>(
    (max, b) => (!max || b.updatedAt > max ? b.updatedAt : max),
    undefined,
  );
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${escapeXml(feed.selfUrl)}</id>`,
    `  <title type="text">${escapeXml(feed.title)}</title>`,
    `  <updated>${(newest ?? feed.fallbackUpdated).toISOString()}</updated>`,
    `  <author><name>${escapeXml(feed.author)}</name></author>`,
    `  <link rel="self" type="application/atom+xml" href="${escapeXml(feed.selfUrl)}"/>`,
    `  <link rel="alternate" type="text/html" href="${escapeXml(feed.pageUrl)}"/>`,
    '  <generator>pebbling club</generator>',
    ...feed.entries.map((b) => entry(host, b)),
    '</feed>',
    '',
  ].join('\n');
}
