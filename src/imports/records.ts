/**
 * One record of an import, from whatever format, checked on its own: a bad
 * record becomes a failure (index, URL, reason, title) and the rest go on.
 * Identity is the bookmarks domain's: SHA-256 of the normalised URL.
 */
import { hash as cryptoHash } from 'node:crypto';
import { addTags } from '../bookmarks/tags';
import {
  InvalidUrlError,
  MAX_URL_LENGTH,
  normalizeParsedUrl,
  parseBookmarkUrl,
} from '../bookmarks/url';

const MAX_TITLE_LENGTH = 255;
/** Descriptions longer than this are cut: one record must not hold the memory of thousands. */
export const MAX_DESCRIPTION_LENGTH = 100_000;
const MAX_FEED_URL_LENGTH = 2048;
const DETAIL_TEXT_LENGTH = 500;

/** A record as a parser found it; dates already read in the format's own way. */
export interface RawRecord {
  /** Position in the file, from 0, counting every record (valid or not). */
  readonly index: number;
  readonly url?: string | undefined;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly createdAt?: Date | undefined;
  readonly updatedAt?: Date | undefined;
  readonly private?: boolean | undefined;
  readonly feedUrl?: string | undefined;
  /** Set by a parser that already knows the record is unusable (e.g. not an object). */
  readonly error?: string;
}

export interface ImportRecord {
  readonly index: number;
  readonly url: string;
  readonly hash: string;
  /**
   * The first 128 bits of the hash as a 16-character string: the key of the
   * within-file duplicate check, kept for every record of the file, so small.
   */
  readonly key: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  /** Undefined: the file had no date (now for new rows, kept for overwritten ones). */
  readonly createdAt: Date | undefined;
  readonly updatedAt: Date | undefined;
  readonly private: boolean;
  readonly feedUrl: string | null;
}

/** Kept on the job (failed_bookmark_details) and shown to its owner. */
export interface RecordFailure {
  readonly index: number;
  readonly error: string;
  readonly url: string;
  readonly title: string;
}

export interface RecordOptions {
  readonly extraTags: readonly string[];
  readonly forcePrivate: boolean;
}

type Checked = { ok: true; record: ImportRecord } | { ok: false; failure: RecordFailure };

export function checkRecord(raw: RawRecord, options: RecordOptions): Checked {
  if (raw.error) return failure(raw, raw.error);
  if (raw.url === undefined || raw.url.trim() === '') return failure(raw, 'The record has no URL.');
  let href: string;
  let normalized: string;
  try {
    const parsed = parseBookmarkUrl(raw.url);
    href = parsed.href;
    normalized = normalizeParsedUrl(parsed);
  } catch (error) {
    if (error instanceof InvalidUrlError) return failure(raw, error.message);
    throw error;
  }
  // Percent-encoding can make a URL several times longer than it was written.
  if (href.length > MAX_URL_LENGTH) {
    return failure(raw, `URLs are at most ${MAX_URL_LENGTH} characters once encoded.`);
  }
  // One-shot hex: several times faster than a Buffer digest here.
  const hash = cryptoHash('sha256', normalized, 'hex');
  return {
    ok: true,
    record: {
      index: raw.index,
      url: href,
      hash,
      key: Buffer.from(hash, 'hex').toString('latin1', 0, 16),
      title: withoutNul(cleanText(raw.title).slice(0, MAX_TITLE_LENGTH)),
      description: withoutNul(raw.description.trim().slice(0, MAX_DESCRIPTION_LENGTH)),
      tags: recordTags(raw.tags, options.extraTags),
      createdAt: raw.createdAt,
      updatedAt: raw.updatedAt,
      private: options.forcePrivate || raw.private === true,
      feedUrl: checkFeedUrl(raw.feedUrl),
    },
  };
}

function failure(raw: RawRecord, error: string): Checked {
  return {
    ok: false,
    failure: { index: raw.index, error, url: clip(raw.url ?? ''), title: clip(raw.title) },
  };
}

/**
 * The record's tags and the import's extra ones, as parseTags reads them
 * (split on spaces and commas, trimmed, lower-cased, at most MAX_TAGS), with
 * NUL removed before duplicates are dropped: "a\0" and "a" are one tag.
 */
function recordTags(tags: readonly string[], extra: readonly string[]): string[] {
  const out: string[] = [];
  for (const tag of tags) addTags(out, tag, withoutNul);
  for (const tag of extra) addTags(out, tag, withoutNul);
  return out;
}

/** A feed URL that is not a usable one is dropped, not the record. */
function checkFeedUrl(input: string | undefined): string | null {
  if (!input || input.length > MAX_FEED_URL_LENGTH) return null;
  try {
    const { href } = parseBookmarkUrl(input);
    return href.length > MAX_FEED_URL_LENGTH ? null : href;
  } catch {
    return null;
  }
}

/** Titles are one line: collapse runs of white space (HTML exports wrap them). */
function cleanText(text: string): string {
  return (MESSY_SPACE.test(text) ? text.replace(/\s+/g, ' ') : text).trim();
}

/** A module constant: this runs for every record, and a literal here is a new RegExp each time. */
const MESSY_SPACE = /\s\s|[^\S ]/;

/** PostgreSQL text (and jsonb) cannot hold U+0000; a hostile file may. */
function withoutNul(text: string): string {
  return text.includes('\u0000') ? text.replaceAll('\u0000', '') : text;
}

function clip(text: string): string {
  const clean = withoutNul(text);
  return clean.length > DETAIL_TEXT_LENGTH ? `${clean.slice(0, DETAIL_TEXT_LENGTH)}…` : clean;
}

/** Years outside this range are typos or garbage, not bookmark dates. */
const EARLIEST = Date.UTC(1990, 0, 1);
const LATEST_AHEAD_MS = 2 * 86_400_000;

/**
 * Netscape ADD_DATE/LAST_MODIFIED: epoch seconds by the format, but files in
 * the wild carry milliseconds or microseconds. Told apart by magnitude: now is
 * ~1.7e9 s, ~1.7e12 ms, ~1.7e15 µs.
 */
export function parseEpoch(value: string | undefined, now = Date.now()): Date | undefined {
  const text = value?.trim() ?? '';
  if (!/^\d+(\.\d+)?$/.test(text)) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) return undefined;
  let ms: number;
  if (n < 1e11) ms = n * 1000;
  else if (n < 1e14) ms = n;
  else if (n < 1e17) ms = n / 1000;
  else return undefined;
  return plausible(new Date(Math.round(ms)), now);
}

/** ISO 8601 (JSON formats); anything Date cannot read is treated as missing. */
export function parseIsoDate(value: unknown, now = Date.now()): Date | undefined {
  if (typeof value !== 'string' || value.length > 64) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}/.test(value.trim())) return undefined;
  return plausible(new Date(value.trim()), now);
}

function plausible(date: Date, now: number): Date | undefined {
  const ms = date.getTime();
  return ms >= EARLIEST && ms <= now + LATEST_AHEAD_MS ? date : undefined;
}

/** Tags as one string, split on white space and commas. */
export function splitTags(value: string | undefined): string[] {
  return value ? value.split(/[\s,]+/).filter((tag) => tag !== '') : [];
}
