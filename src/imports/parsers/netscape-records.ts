/**
 * What makes a record of a Netscape bookmark file, as rules over HTML events
 * (an element opened, text, an element closed): `<DT><A HREF ADD_DATE
 * LAST_MODIFIED TAGS PRIVATE>title</A>` then an optional `<DD>` description,
 * inside nested `<DL>` folders (browsers, Pinboard, linkding, Shaarli), and
 * Pocket's `<li><a href time_added tags>`. Every `<a href>` is a record,
 * wherever it sits. Both readers of the format (netscape-scanner.ts and the
 * htmlparser2 one in netscape.ts) send their events here, so they cannot
 * disagree on what a record is.
 */
import { ImportFileError } from '../detect';
import { MAX_DESCRIPTION_LENGTH, parseEpoch, type RawRecord } from '../records';

/** The attributes of an `<a>` that a record reads (lower-case names, entities decoded). */
export interface AnchorAttributes {
  readonly href?: string;
  readonly add_date?: string;
  readonly time_added?: string;
  readonly last_modified?: string;
  readonly tags?: string;
  readonly tag?: string;
  readonly private?: string;
  readonly feed_url?: string;
  readonly feedurl?: string;
}

/** Raw text kept per record; records.ts cuts titles to 255 and descriptions to 100 000 after cleaning. */
const MAX_TITLE_CHARS = 4096;
const MAX_DESCRIPTION_CHARS = MAX_DESCRIPTION_LENGTH + 4096;

/**
 * Elements open at once. Browsers nest a few per folder; far more is not a
 * bookmark file, and both readers' tree rules get slower with depth.
 */
export const MAX_OPEN_ELEMENTS = 10_000;

/** Tags that end the pending record (and its description). */
const BOUNDARY_OPEN = new Set(['a', 'dt', 'h1', 'h2', 'h3', 'dl', 'li', 'ul', 'ol', 'hr']);
const BOUNDARY_CLOSE = new Set(['dl', 'ul', 'ol', 'li', 'body', 'html']);
const LISTS = new Set(['dl', 'ul', 'ol']);

interface Pending {
  url: string | undefined;
  attribs: AnchorAttributes;
  title: string;
  description: string;
  inTitle: boolean;
  inDescription: boolean;
}

export class NetscapeRecords {
  /** Records completed since the reader last took them. */
  ready: RawRecord[] = [];
  private index = 0;
  private pending: Pending | undefined;
  /** Lists opened and not explicitly closed: above 0 at the end, the file was cut short. */
  private listDepth = 0;
  /** Elements open now (a reader closes every element it opens, void ones at once). */
  private depth = 0;

  /** Whether text now would be kept (a reader may skip decoding it otherwise). */
  get wantsText(): boolean {
    const pending = this.pending;
    return pending !== undefined && (pending.inTitle || pending.inDescription);
  }

  get truncated(): boolean {
    return this.listDepth > 0;
  }

  /** `attribs` matters only for `a`; other elements may pass undefined. */
  open(name: string, attribs: AnchorAttributes | undefined): void {
    if (++this.depth > MAX_OPEN_ELEMENTS) {
      throw new ImportFileError(
        `The file nests HTML elements over ${MAX_OPEN_ELEMENTS.toLocaleString('en')} deep, which no bookmark export does: check that it is the right file.`,
      );
    }
    if (LISTS.has(name)) this.listDepth++;
    const pending = this.pending;
    if (name === 'dd' && pending && !pending.inTitle) {
      pending.inDescription = true;
      return;
    }
    if (name === 'br' || name === 'p') {
      if (pending?.inDescription) pending.description += '\n';
      return;
    }
    if (!BOUNDARY_OPEN.has(name)) return;
    this.finish();
    if (name === 'a' && attribs?.href !== undefined) {
      this.pending = {
        url: attribs.href,
        attribs,
        title: '',
        description: '',
        inTitle: true,
        inDescription: false,
      };
    }
  }

  text(text: string): void {
    const pending = this.pending;
    if (!pending) return;
    // Capped at a length, not at a piece: readers cut text into different pieces.
    if (pending.inTitle) {
      if (pending.title.length < MAX_TITLE_CHARS) {
        pending.title = capped(pending.title + text, MAX_TITLE_CHARS);
      }
    } else if (pending.inDescription) {
      if (pending.description.length < MAX_DESCRIPTION_CHARS) {
        pending.description = capped(pending.description + text, MAX_DESCRIPTION_CHARS);
      }
    }
  }

  /** `implied`: closed by the tree rules (another tag, the end), not by its own end tag. */
  close(name: string, implied: boolean): void {
    this.depth--;
    if (LISTS.has(name) && !implied) this.listDepth = Math.max(0, this.listDepth - 1);
    if (name === 'a') {
      if (this.pending) this.pending.inTitle = false;
      return;
    }
    if (BOUNDARY_CLOSE.has(name)) this.finish();
  }

  /** The end of the file (after the reader closed what was still open). */
  end(): void {
    this.finish();
  }

  private finish(): void {
    const pending = this.pending;
    if (!pending) return;
    const { attribs } = pending;
    const createdAt = parseEpoch(attribs.add_date ?? attribs.time_added);
    this.ready.push({
      index: this.index++,
      url: pending.url,
      title: pending.title,
      description: pending.description,
      tags: splitTags(attribs.tags ?? attribs.tag),
      createdAt,
      updatedAt: parseEpoch(attribs.last_modified) ?? createdAt,
      private: isTrue(attribs.private),
      feedUrl: attribs.feed_url ?? attribs.feedurl,
    });
    this.pending = undefined;
  }
}

function capped(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

function splitTags(value: string | undefined): string[] {
  return value ? value.split(/[\s,]+/).filter((tag) => tag !== '') : [];
}

function isTrue(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return /^(1|true|yes)$/i.test(value.trim());
}
