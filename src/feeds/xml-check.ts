/**
 * A well-formedness pass over an XML feed, before the feed library reads it.
 *
 * feedsmith is lenient about structure: a document cut off mid-way, or with
 * an element never closed, still gives whatever items it could read. A feed
 * in that state is broken, not shorter, so it is refused as a parse error
 * instead (the items already stored stay as they are). htmlparser2's
 * tokenizer in XML mode does the pass; it is about a tenth of the parse.
 *
 * The same pass notes the elements an Atom 0.3 feed marks mode="base64":
 * feedsmith reads Atom 0.3 but drops that attribute, and hands the text
 * still encoded (see atomBase64 in formats.ts).
 */
import { MAX_HTML_DEPTH, parseBoundedHtml } from '../html';

export interface XmlCheck {
  /** The first structural problem, or null. */
  readonly problem: string | null;
  /**
   * Atom elements with mode="base64", as `feed/<name>` or `entry:<n>/<name>`
   * (n counts the feed's entries from 0), and how many entries there are.
   */
  readonly base64: { readonly marks: ReadonlySet<string>; readonly entries: number };
}

const localName = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();

export function checkXml(xml: string): XmlCheck {
  let depth = 0;
  let roots = 0;
  let entries = 0;
  let justOpened: string | null = null;
  let problem: string | null = null;
  const marks = new Set<string>();
  const whole = parseBoundedHtml(
    xml,
    {
      onopentag(name, attributes) {
        if (depth === 0) roots++;
        depth++;
        justOpened = name;
        // Depth 2 is a child of the root (<feed>), depth 3 a child of an entry.
        if (depth === 2 && localName(name) === 'entry') entries++;
        if (attributes.mode?.toLowerCase() === 'base64') {
          if (depth === 2) marks.add(`feed/${localName(name)}`);
          else if (depth === 3) marks.add(`entry:${entries - 1}/${localName(name)}`);
        }
      },
      ontext() {
        justOpened = null;
      },
      onclosetag(name, isImplied) {
        // htmlparser2 reports <tag/> as an implied close right after its open.
        const selfClosing = isImplied && justOpened === name;
        justOpened = null;
        depth--;
        if (isImplied && !selfClosing) problem ??= `malformed XML: <${name}> is never closed`;
      },
    },
    { xmlMode: true, decodeEntities: false, recognizeCDATA: true },
  );
  if (!whole) problem ??= `refused: elements nested more than ${MAX_HTML_DEPTH} deep`;
  if (roots === 0) problem ??= 'malformed XML: no root element';
  else if (roots > 1) problem ??= 'malformed XML: more than one root element';
  return { problem, base64: { marks, entries } };
}
