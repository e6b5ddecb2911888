/**
 * From a ParsedFeed to the rows refresh stores: one guid per item (stable
 * when the feed gives none), dates in UTC, links absolute, at most maxItems
 * items (newest first), duplicates within the document dropped, and text
 * sanitised last, once everything else is decided.
 */
import { createHash } from 'node:crypto';
import type { ParsedFeed, ParsedItem, TitleType } from './parser';
import { safeUrl, sanitizeHtml, stripControls, toPlainText, truncate } from './sanitize';

/** Column sizes in feed_items / feeds (001_initial.ts). */
const GUID_MAX = 2048;
const LINK_MAX = 4096;
const TITLE_MAX = 1000;
const SUMMARY_MAX = 1000;
const DESCRIPTION_MAX = 200_000;
const FEED_TITLE_MAX = 1024;

export interface ProcessedItem {
  readonly guid: string;
  readonly link: string | null;
  readonly title: string | null;
  /** Plain text. */
  readonly summary: string | null;
  /** Sanitised HTML. */
  readonly description: string | null;
  /** UTC; null when the feed gave no readable date. */
  readonly date: Date | null;
  readonly raw: Record<string, unknown>;
}

export interface ProcessedFeed {
  readonly title: string;
  readonly siteUrl: string | null;
  readonly metadata: Record<string, unknown>;
  readonly newestItemDate: Date | null;
  readonly items: readonly ProcessedItem[];
}

export interface ProcessOptions {
  readonly maxItems: number;
  /** The URL the feed was fetched from: relative links resolve against it. */
  readonly feedUrl: string;
  /** Dates further ahead than this are clamped to it (clock-skewed feeds). */
  readonly now?: Date;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The item's own id when it has one; else a hash of link and title, which
 * stays the same from poll to poll as long as the item does.
 */
export function itemGuid(item: Pick<ParsedItem, 'id' | 'link' | 'title'>): string {
  const id = item.id?.trim();
  if (id) return id.length <= GUID_MAX ? id : `sha256:${sha256(id)}`;
  return `sha256:${sha256(`${item.link?.trim() ?? ''}\n${item.title?.trim() ?? ''}`)}`;
}

/** Dates more than a day ahead are a broken clock, not news from the future. */
function normaliseDate(date: Date | null, now: Date): Date | null {
  if (!date || Number.isNaN(date.getTime())) return null;
  const limit = now.getTime() + 24 * 3600 * 1000;
  return new Date(Math.min(date.getTime(), limit));
}

/** Strings in a JSON value lose their control characters (jsonb refuses \u0000). */
export function cleanJson(value: unknown, depth = 0): unknown {
  if (depth > 20) return null;
  if (typeof value === 'string') return stripControls(value);
  if (Array.isArray(value)) return value.map((v) => cleanJson(v, depth + 1));
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [stripControls(k), cleanJson(v, depth + 1)]),
    );
  }
  return value;
}

const nonEmpty = (text: string | null): string | null => (text && text.length > 0 ? text : null);

/** A title as plain text: markup dropped from an HTML title, a text title kept as it is. */
export function plainTitle(title: string | null, type: TitleType): string {
  if (!title) return '';
  return type === 'html' ? toPlainText(title) : stripControls(title).replace(/\s+/g, ' ').trim();
}

/** What is decided before sanitising: the guid hashes the title as text, escaped or not. */
interface Identity {
  readonly guid: string;
  readonly title: string;
}

function identify(item: ParsedItem): Identity {
  const title = plainTitle(item.title, item.titleType);
  return { guid: stripControls(itemGuid({ ...item, title })), title };
}

function sanitiseItem(
  item: ParsedItem,
  { guid, title }: Identity,
  date: Date | null,
  base: string,
): ProcessedItem {
  const link = item.link ? safeUrl(item.link, base) : null;
  const summarySource = item.summary ?? item.content;
  const descriptionSource = item.content ?? item.summary;
  return {
    guid,
    link: link && link.length <= LINK_MAX ? link : null,
    title: nonEmpty(truncate(title, TITLE_MAX)),
    summary: nonEmpty(truncate(toPlainText(summarySource ?? ''), SUMMARY_MAX)),
    description: nonEmpty(
      sanitizeHtml(descriptionSource ?? '', link ?? base).slice(0, DESCRIPTION_MAX),
    ),
    date,
    raw: cleanJson(item.raw) as Record<string, unknown>,
  };
}

export function processFeed(parsed: ParsedFeed, options: ProcessOptions): ProcessedFeed {
  const now = options.now ?? new Date();
  const dated = parsed.items.map((item, index) => ({
    item,
    index,
    date: normaliseDate(item.published ?? item.updated, now),
  }));
  // Newest first; undated items keep their document order after the dated ones.
  dated.sort((a, b) => {
    if (a.date && b.date) return b.date.getTime() - a.date.getTime() || a.index - b.index;
    if (a.date) return -1;
    if (b.date) return 1;
    return a.index - b.index;
  });
  const seen = new Set<string>();
  const items: ProcessedItem[] = [];
  for (const { item, date } of dated) {
    if (items.length >= options.maxItems) break;
    const identity = identify(item);
    // Two entries with one id in one document: keep the first (newest).
    if (seen.has(identity.guid)) continue;
    seen.add(identity.guid);
    items.push(sanitiseItem(item, identity, date, options.feedUrl));
  }
  const newest = items.reduce<Date | null>(
    (max, i) => (i.date && (!max || i.date > max) ? i.date : max),
    null,
  );
  return {
    title: truncate(plainTitle(parsed.title, parsed.titleType), FEED_TITLE_MAX),
    siteUrl: parsed.siteUrl ? safeUrl(parsed.siteUrl, options.feedUrl) : null,
    metadata: cleanJson({ ...parsed.meta, format: parsed.format }) as Record<string, unknown>,
    newestItemDate: newest,
    items,
  };
}
