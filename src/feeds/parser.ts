/**
 * Turns a fetched document into a ParsedFeed. Pure: no I/O, no clock, no
 * database. RSS 2.0, RSS 1.0 (RDF) and Atom go through
 * @rowanmanning/feed-parser (lenient, maintained); JSON Feed is read here.
 *
 * XML safety: the library's XML layer (fast-xml-parser) expands entities
 * declared in a DOCTYPE and throws on external ones. We refuse any document
 * that declares an entity before it reaches the library, so neither XXE nor
 * entity expansion (billion laughs) can happen whatever the library does.
 *
 * Leniency: stray characters and unknown entities (an unescaped "AT&T") are
 * tolerated, as feeds in the wild need; broken structure (an element never
 * closed, a truncated document, two roots) is a parse error, because the
 * library would quietly turn it into empty items.
 */
import { parseFeed as parseXmlFeed } from '@rowanmanning/feed-parser';
import type { FeedJson } from '@rowanmanning/feed-parser/lib/feed/base';
import { z } from 'zod';
import { buildXmlTree, feedFromTree, NeedsFullParser } from './xml-tree';

export type FeedFormat = 'rss' | 'rdf' | 'atom' | 'json';

export interface ParsedItem {
  readonly id: string | null;
  readonly title: string | null;
  readonly link: string | null;
  /** A short text, often HTML: RSS description, Atom summary, JSON summary. */
  readonly summary: string | null;
  /** The full content, usually HTML. */
  readonly content: string | null;
  readonly published: Date | null;
  readonly updated: Date | null;
  /** What the parser saw, for the raw column and the JSON API. */
  readonly raw: Record<string, unknown>;
}

export interface ParsedFeed {
  readonly format: FeedFormat;
  readonly title: string | null;
  readonly description: string | null;
  /** The site the feed belongs to. */
  readonly siteUrl: string | null;
  readonly language: string | null;
  readonly updated: Date | null;
  readonly items: readonly ParsedItem[];
  /** The feed's header, without items. */
  readonly meta: Record<string, unknown>;
}

export class FeedParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeedParseError';
  }
}

/** Decodes the body with the charset from Content-Type or the XML declaration. */
export function decodeBody(body: Buffer, contentType?: string): string {
  const fromHeader = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  const head = body.subarray(0, 200).toString('latin1');
  const fromDeclaration = /^\s*<\?xml[^>]*encoding\s*=\s*["']([\w.:-]+)["']/i.exec(head)?.[1];
  let label = (fromHeader ?? fromDeclaration ?? 'utf-8').toLowerCase();
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) label = 'utf-8';
  try {
    return new TextDecoder(label).decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

const CDATA = /<!\[CDATA\[[\s\S]*?\]\]>/g;
const DOCTYPE_START = /<!DOCTYPE/gi;

/**
 * Refuses a DOCTYPE that declares entities; removes one that does not (RSS
 * 0.91's, for one). CDATA sections are skipped: an article about XML may
 * quote `<!ENTITY` there, and the XML parser never reads declarations inside it.
 */
export function neutraliseDoctype(xml: string): string {
  const masked = xml.replace(CDATA, (section) => ' '.repeat(section.length));
  const cuts: Array<[number, number]> = [];
  for (const match of masked.matchAll(DOCTYPE_START)) {
    const start = match.index;
    const close = masked.indexOf('>', start);
    const open = masked.indexOf('[', start);
    let end: number;
    if (open !== -1 && (close === -1 || open < close)) {
      const subsetEnd = /\]\s*>/.exec(masked.slice(open));
      end = subsetEnd ? open + subsetEnd.index + subsetEnd[0].length : masked.length;
      if (/<!ENTITY/i.test(masked.slice(open, end))) {
        throw new FeedParseError(
          'the document declares XML entities, which are refused (XXE and entity-expansion protection)',
        );
      }
    } else {
      end = close === -1 ? masked.length : close + 1;
    }
    cuts.push([start, end]);
  }
  let result = xml;
  for (const [start, end] of cuts.reverse()) result = result.slice(0, start) + result.slice(end);
  return result;
}

export function parseFeedDocument(body: Buffer | string, contentType?: string): ParsedFeed {
  const text = (typeof body === 'string' ? body : decodeBody(body, contentType)).replace(
    /^\uFEFF/,
    '',
  );
  const start = text.trimStart();
  if (start === '') throw new FeedParseError('the document is empty');
  if (start.startsWith('{')) return parseJsonFeed(start);
  if (!start.startsWith('<')) throw new FeedParseError('the document is neither XML nor JSON');
  return parseXml(neutraliseDoctype(start));
}

function validDate(value: Date | string | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** The first structural problem of an XML document, or null. */
export function structuralProblem(xml: string): string | null {
  return buildXmlTree(xml).problem;
}

function parseXml(xml: string): ParsedFeed {
  const tree = buildXmlTree(xml);
  if (tree.problem) throw new FeedParseError(tree.problem);
  let json: FeedJson;
  try {
    try {
      json = feedFromTree(tree.document).toJSON();
    } catch (error) {
      if (!(error instanceof NeedsFullParser)) throw error;
      // Rare (Atom xhtml content): the library's own tree, as before.
      json = parseXmlFeed(xml).toJSON();
    }
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FeedParseError(`not a feed: ${reason}`);
  }
  const { items: rawItems, ...meta } = json;
  const format: FeedFormat =
    meta.meta.type === 'atom' ? 'atom' : meta.meta.version === '1.0' ? 'rdf' : 'rss';
  // toJSON is made of the item getters: reading its fields computes nothing twice.
  const items = rawItems.map(
    (raw): ParsedItem => ({
      id: raw.id,
      title: raw.title,
      link: raw.url,
      summary: raw.description,
      content: raw.content,
      published: validDate(raw.published),
      updated: validDate(raw.updated),
      raw: raw as unknown as Record<string, unknown>,
    }),
  );
  return {
    format,
    title: meta.title,
    description: meta.description,
    siteUrl: meta.url,
    language: meta.language,
    updated: validDate(meta.updated ?? meta.published),
    items,
    meta: meta as unknown as Record<string, unknown>,
  };
}

const jsonString = z.preprocess(
  (v) => (typeof v === 'number' ? String(v) : v),
  z.string().optional().catch(undefined),
);

const JsonFeedItem = z.looseObject({
  id: jsonString,
  url: jsonString,
  external_url: jsonString,
  title: jsonString,
  content_html: jsonString,
  content_text: jsonString,
  summary: jsonString,
  date_published: jsonString,
  date_modified: jsonString,
});

const JsonFeed = z.looseObject({
  version: z.string().regex(/^https?:\/\/jsonfeed\.org\/version\//),
  title: jsonString,
  home_page_url: jsonString,
  feed_url: jsonString,
  description: jsonString,
  language: jsonString,
  items: z.array(z.unknown()),
});

/** JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1). */
function parseJsonFeed(text: string): ParsedFeed {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new FeedParseError(`invalid JSON: ${(error as Error).message}`);
  }
  const parsed = JsonFeed.safeParse(data);
  if (!parsed.success) throw new FeedParseError('not a JSON Feed (no jsonfeed.org version)');
  const { items: rawItems, ...meta } = parsed.data;
  const items: ParsedItem[] = [];
  for (const rawItem of rawItems) {
    const item = JsonFeedItem.safeParse(rawItem);
    if (!item.success) continue;
    const i = item.data;
    items.push({
      id: i.id ?? null,
      title: i.title ?? null,
      link: i.url ?? i.external_url ?? null,
      summary: i.summary ?? null,
      content: i.content_html ?? i.content_text ?? null,
      published: validDate(i.date_published),
      updated: validDate(i.date_modified),
      raw: i,
    });
  }
  return {
    format: 'json',
    title: meta.title ?? null,
    description: meta.description ?? null,
    siteUrl: meta.home_page_url ?? null,
    language: meta.language ?? null,
    updated: null,
    items,
    meta,
  };
}
