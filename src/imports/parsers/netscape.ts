/**
 * Netscape bookmark HTML, read with htmlparser2's streaming Parser chunk by
 * chunk, so memory does not grow with the file. Every `<a href>` is a
 * record, wherever it sits: `<DT><A HREF ADD_DATE LAST_MODIFIED TAGS PRIVATE
 * FEED_URL>title</A>` then an optional `<DD>` description, inside nested
 * `<DL>` folders (browsers, Pinboard, linkding, Shaarli), and Pocket's
 * `<li><a href time_added tags>`.
 */
import { type Handler, Parser } from 'htmlparser2';
import { ImportFileError } from '../detect';
import { MAX_DESCRIPTION_LENGTH, parseEpoch, type RawRecord, splitTags } from '../records';

/** What the parse learned about the file as a whole. */
export interface HtmlSummary {
  /** The file ended inside a list: it was probably cut short. */
  truncated: boolean;
}

/**
 * Elements open at once. Browsers nest two or three per folder (and two more
 * per folder beside it); far more is not a bookmark file, and htmlparser2
 * looks through every open element for each end tag it cannot match.
 */
export const MAX_OPEN_ELEMENTS = 10_000;

/** Raw text kept per record; records.ts cuts titles to 255 and descriptions after cleaning. */
const MAX_TITLE_CHARS = 4096;
const MAX_DESCRIPTION_CHARS = MAX_DESCRIPTION_LENGTH + 4096;

/** Tags that end the pending record (and its description). */
const BOUNDARY_OPEN = new Set(['a', 'dt', 'h1', 'h2', 'h3', 'dl', 'li', 'ul', 'ol', 'hr']);
const BOUNDARY_CLOSE = new Set(['dl', 'ul', 'ol', 'li', 'body', 'html']);
const LISTS = new Set(['dl', 'ul', 'ol']);

/** Every record of the text, in order, in groups (one per chunk read). */
export async function* readNetscape(
  chunks: AsyncIterable<string>,
  summary: HtmlSummary,
): AsyncGenerator<RawRecord[]> {
  const records = new NetscapeRecords();
  const parser = new Parser(records, {
    decodeEntities: true,
    lowerCaseTags: true,
    lowerCaseAttributeNames: true,
  });
  const tail = new EndTagTail();
  for await (const chunk of chunks) {
    tail.write(chunk);
    parser.write(chunk);
    if (records.ready.length > 0) yield records.take();
  }
  // htmlparser2 12.0.0 ends a file cut inside an end tag ("…</DD ") with text
  // taken from before the start of what it holds: pieces of the file, not the
  // end of it. A file cut inside a tag has no text left to give.
  records.ignoreText = tail.insideEndTag;
  parser.end();
  summary.truncated = records.listDepth > 0;
  if (records.ready.length > 0) yield records.take();
}

interface Pending {
  attribs: Record<string, string>;
  title: string;
  description: string;
  inTitle: boolean;
  inDescription: boolean;
}

/** The record rules, as htmlparser2 callbacks. */
class NetscapeRecords implements Partial<Handler> {
  ready: RawRecord[] = [];
  ignoreText = false;
  /** Lists opened and not closed by their end tag: above 0 at the end, the file was cut short. */
  listDepth = 0;
  private index = 0;
  private depth = 0;
  private pending: Pending | undefined;

  take(): RawRecord[] {
    const ready = this.ready;
    this.ready = [];
    return ready;
  }

  onopentag(name: string, attribs: Record<string, string>): void {
    if (++this.depth > MAX_OPEN_ELEMENTS) {
      throw new ImportFileError(
        `The file nests HTML elements over ${MAX_OPEN_ELEMENTS.toLocaleString('en')} deep, which no bookmark export does: check that it is the right file.`,
      );
    }
    if (LISTS.has(name)) this.listDepth++;
    const pending = this.pending;
    if (name === 'dd' && pending && !pending.inTitle) {
      pending.inDescription = true;
    } else if (name === 'br' || name === 'p') {
      if (pending?.inDescription) pending.description += '\n';
    } else if (BOUNDARY_OPEN.has(name)) {
      this.finish();
      if (name === 'a' && attribs.href !== undefined) {
        this.pending = { attribs, title: '', description: '', inTitle: true, inDescription: false };
      }
    }
  }

  ontext(text: string): void {
    const pending = this.pending;
    if (!pending || this.ignoreText) return;
    if (pending.inTitle) {
      if (pending.title.length < MAX_TITLE_CHARS) {
        pending.title = (pending.title + text).slice(0, MAX_TITLE_CHARS);
      }
    } else if (pending.inDescription && pending.description.length < MAX_DESCRIPTION_CHARS) {
      pending.description = (pending.description + text).slice(0, MAX_DESCRIPTION_CHARS);
    }
  }

  /** `implied`: closed by the tree rules (another tag, the end), not by its own end tag. */
  onclosetag(name: string, implied: boolean): void {
    this.depth--;
    if (LISTS.has(name) && !implied) this.listDepth = Math.max(0, this.listDepth - 1);
    if (name === 'a') {
      if (this.pending) this.pending.inTitle = false;
    } else if (BOUNDARY_CLOSE.has(name)) {
      this.finish();
    }
  }

  onend(): void {
    this.finish();
  }

  private finish(): void {
    const pending = this.pending;
    if (!pending) return;
    const { attribs } = pending;
    const createdAt = parseEpoch(attribs.add_date ?? attribs.time_added);
    this.ready.push({
      index: this.index++,
      url: attribs.href,
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

/** Whether the text written so far ends inside an end tag (`</name` and no `>` after it). */
class EndTagTail {
  /** From the last `<` not followed by `>`: enough characters to tell `</x`. */
  private tail = '';

  write(chunk: string): void {
    const lt = chunk.lastIndexOf('<');
    const gt = chunk.lastIndexOf('>');
    if (lt > gt) this.tail = chunk.slice(lt, lt + 3);
    else if (gt !== -1) this.tail = '';
    else if (this.tail !== '') this.tail = (this.tail + chunk).slice(0, 3);
  }

  get insideEndTag(): boolean {
    return /^<\/[a-z]/i.test(this.tail);
  }
}

function isTrue(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return /^(1|true|yes)$/i.test(value.trim());
}
