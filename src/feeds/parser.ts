/**
 * Turns a fetched document into a ParsedFeed. Pure: no I/O, no clock, no
 * database. RSS 0.9x/2.0, RSS 1.0 (RDF), Atom 0.3/1.0 and JSON Feed 1.0/1.1
 * are read by feedsmith (its public parseFeed); formats.ts maps what it read
 * to the fields the app keeps.
 *
 * XML safety: feedsmith's XML layer (fast-xml-parser) can expand entities
 * declared in a DOCTYPE. We refuse any document that declares an entity
 * before it reaches the library, so neither XXE nor entity expansion
 * (billion laughs) can happen whatever the library does.
 *
 * Leniency: stray characters and unknown entities (an unescaped "AT&T") are
 * tolerated, as feeds in the wild need; broken structure (an element never
 * closed, a truncated document, two roots) is a parse error (xml-check.ts).
 */
import { type AnyFeed, parseFeed } from 'feedsmith';
import { toParsedFeed } from './formats';
import type { ParsedFeed } from './parsed';
import { checkXml } from './xml-check';

export type { FeedFormat, ParsedFeed, ParsedItem, TitleType } from './parsed';

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
  if (start.startsWith('{')) return parseJson(start);
  if (!start.startsWith('<')) throw new FeedParseError('the document is neither XML nor JSON');
  return parseXml(neutraliseDoctype(start));
}

/** The first structural problem of an XML document, or null. */
export function structuralProblem(xml: string): string | null {
  return checkXml(xml).problem;
}

function parseXml(xml: string): ParsedFeed {
  const check = checkXml(xml);
  if (check.problem) throw new FeedParseError(check.problem);
  return toParsedFeed(readFeed(xml), check.base64);
}

function parseJson(text: string): ParsedFeed {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new FeedParseError(`invalid JSON: ${(error as Error).message}`);
  }
  const result = readFeed(data);
  if (result.format !== 'json') throw new FeedParseError('not a JSON Feed');
  return toParsedFeed(result);
}

/** feedsmith's parseFeed, its errors (unknown format, no feed in it) as parse errors. */
function readFeed(value: unknown): AnyFeed<string> {
  try {
    return parseFeed<string>(value);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new FeedParseError(`not a feed: ${reason}`);
  }
}
