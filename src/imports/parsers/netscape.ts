/**
 * Netscape bookmark HTML, streamed: `<DT><A HREF ADD_DATE LAST_MODIFIED TAGS
 * PRIVATE>title</A>` then an optional `<DD>` description, inside nested
 * `<DL>` folders (browsers, Pinboard, linkding, Shaarli). Pocket's variant
 * (`<li><a href time_added tags>`) is read too. Every `<a href>` is a record,
 * wherever it sits. htmlparser2 is fed chunk by chunk, so memory does not grow
 * with the file.
 */
import { Parser } from 'htmlparser2';
import { MAX_DESCRIPTION_LENGTH, parseEpoch, type RawRecord } from '../records';

/** What the parse learned about the file as a whole. */
export interface HtmlSummary {
  /** The file ended inside a list: it was probably cut short. */
  truncated: boolean;
}

const MAX_TITLE_CHARS = 4096;

/** Tags that end the pending record (and its description). */
const BOUNDARY_OPEN = new Set(['a', 'dt', 'h1', 'h2', 'h3', 'dl', 'li', 'ul', 'ol', 'hr']);
const BOUNDARY_CLOSE = new Set(['dl', 'ul', 'ol', 'li', 'body', 'html']);
const LISTS = new Set(['dl', 'ul', 'ol']);

interface Pending {
  url: string | undefined;
  attribs: Record<string, string>;
  title: string;
  description: string;
  inTitle: boolean;
  inDescription: boolean;
}

export async function* parseNetscape(
  chunks: AsyncIterable<string>,
  summary: HtmlSummary,
): AsyncGenerator<RawRecord[]> {
  const ready: RawRecord[] = [];
  let index = 0;
  let pending: Pending | undefined;
  let listDepth = 0;

  const finish = () => {
    if (!pending) return;
    const { attribs } = pending;
    const createdAt = parseEpoch(attribs.add_date ?? attribs.time_added);
    ready.push({
      index: index++,
      url: pending.url,
      title: pending.title,
      description: pending.description,
      tags: splitTags(attribs.tags ?? attribs.tag),
      createdAt,
      updatedAt: parseEpoch(attribs.last_modified) ?? createdAt,
      private: isTrue(attribs.private),
      feedUrl: attribs.feed_url ?? attribs.feedurl,
    });
    pending = undefined;
  };

  const parser = new Parser(
    {
      onopentag(name, attribs) {
        if (LISTS.has(name)) listDepth++;
        if (name === 'dd' && pending && !pending.inTitle) {
          pending.inDescription = true;
          return;
        }
        if (name === 'br' || name === 'p') {
          if (pending?.inDescription) pending.description += '\n';
          return;
        }
        if (!BOUNDARY_OPEN.has(name)) return;
        finish();
        if (name === 'a' && 'href' in attribs) {
          pending = {
            url: attribs.href,
            attribs,
            title: '',
            description: '',
            inTitle: true,
            inDescription: false,
          };
        }
      },
      ontext(text) {
        if (!pending) return;
        if (pending.inTitle) {
          if (pending.title.length < MAX_TITLE_CHARS) pending.title += text;
        } else if (pending.inDescription) {
          if (pending.description.length <= MAX_DESCRIPTION_LENGTH) pending.description += text;
        }
      },
      onclosetag(name, isImplied) {
        if (LISTS.has(name) && !isImplied) listDepth = Math.max(0, listDepth - 1);
        if (name === 'a') {
          if (pending) pending.inTitle = false;
          return;
        }
        if (BOUNDARY_CLOSE.has(name)) finish();
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );

  for await (const chunk of chunks) {
    parser.write(chunk);
    if (ready.length > 0) yield ready.splice(0);
  }
  parser.end();
  finish();
  summary.truncated = listDepth > 0;
  if (ready.length > 0) yield ready.splice(0);
}

function splitTags(value: string | undefined): string[] {
  return value ? value.split(/[\s,]+/).filter((tag) => tag !== '') : [];
}

function isTrue(value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  return /^(1|true|yes)$/i.test(value.trim());
}
