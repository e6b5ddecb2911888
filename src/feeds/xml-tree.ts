/**
 * A fast XML tree for @rowanmanning/feed-parser's feed classes.
 *
 * The library reads feeds through its Element class, a view over
 * fast-xml-parser's output that recomputes children, names and attributes on
 * every access: most of a poll's CPU went there (see docs/feeds.md). This
 * module builds the tree once, with htmlparser2 in XML mode, and hands the
 * library's own RSS/Atom classes elements that extend its Element with the
 * answers precomputed. The feed logic (which element means what) stays the
 * library's; only the tree under it changes, and it reproduces what
 * fast-xml-parser gives the library:
 *
 * - text and attribute values have the five XML entities decoded and
 *   nothing else (the library decodes HTML entities itself, later);
 *   CDATA is taken as is; comments and processing instructions are dropped;
 * - line ends are normalised to \n;
 * - names keep their prefix (`content:encoded`), lower-cased by the Element API.
 *
 * One thing is not reproduced: `innerHtml` (fast-xml-parser re-serialises the
 * subtree, used for Atom `type="xhtml"` content). It throws NeedsFullParser
 * and the caller parses that document with the library as before.
 *
 * The same pass checks the structure (an element never closed, no root or
 * two roots), which parser.ts refuses before any feed logic runs. Entities
 * declared in a DOCTYPE never reach this code (parser.ts refuses them), and
 * htmlparser2 expands none, so there is no expansion to bound.
 */

import { InvalidFeedError } from '@rowanmanning/feed-parser/lib/errors/invalid-feed';
import { AtomFeed } from '@rowanmanning/feed-parser/lib/feed/atom';
import type { Feed as LibraryFeed } from '@rowanmanning/feed-parser/lib/feed/base';
import { RssFeed } from '@rowanmanning/feed-parser/lib/feed/rss';
import type { Document } from '@rowanmanning/feed-parser/lib/xml/document';
import { Element } from '@rowanmanning/feed-parser/lib/xml/element';
import { Parser } from 'htmlparser2';

/** Thrown when the document needs something only the library's own tree gives. */
export class NeedsFullParser extends Error {
  constructor(what: string) {
    super(`${what} needs the full XML parser`);
    this.name = 'NeedsFullParser';
  }
}

const XML_ENTITIES: Record<string, string> = {
  '&lt;': '<',
  '&gt;': '>',
  '&amp;': '&',
  '&quot;': '"',
  '&apos;': "'",
};
const XML_ENTITY = /&(?:lt|gt|amp|quot|apos);/g;
const LINE_END = /\r\n?/g;

/** What fast-xml-parser makes of parsed character data. */
function decodeXmlText(text: string): string {
  const normalised = text.includes('\r') ? text.replace(LINE_END, '\n') : text;
  return normalised.includes('&')
    ? normalised.replace(XML_ENTITY, (entity) => XML_ENTITIES[entity]!)
    : normalised;
}

type Namespaces = { [key: string | symbol]: string };

/**
 * An element whose children, name, attributes, namespaces and base URL are
 * computed once. Every other Element method (textContentNormalized,
 * getAttributeAsUrl, findElementWithName…) is the library's, running on these.
 */
export class FastElement extends Element {
  readonly #name: string;
  readonly #namespace: string | symbol;
  readonly #attributes: Record<string, string>;
  readonly #children: Array<FastElement | string> = [];
  #namespaces: Namespaces | undefined;
  #baseUrl: string | null | undefined;
  #byName: Map<string, FastElement[]> | undefined;

  constructor(rawName: string, attributes: Record<string, string>, parent: FastElement | null) {
    super({}, parent);
    const parts = rawName.toLowerCase().split(':');
    this.#name = parts.length > 1 ? parts.slice(1).join(':') : parts[0]!;
    this.#namespace = parts.length > 1 && parts[0] ? parts[0] : Element.DEFAULT_NAMESPACE;
    this.#attributes = attributes;
  }

  /** @internal Tree building only. */
  append(child: FastElement | string): void {
    this.#byName = undefined;
    this.#children.push(child);
  }

  override get parent(): FastElement | null {
    return super.parent as FastElement | null;
  }

  override get attributes(): { [key: string]: string } {
    return this.#attributes;
  }

  override get children(): Array<FastElement | string> {
    return this.#children;
  }

  override get name(): string {
    return this.#name;
  }

  override get namespace(): string | symbol {
    return this.#namespace;
  }

  override get baseUrl(): string | null {
    if (this.#baseUrl === undefined) {
      // Same rule as the library: xml:base resolved against the parent's base.
      const parentBaseUrl = this.parent?.baseUrl ?? null;
      const xmlBase = this.#attributes['xml:base'] || null;
      let base = parentBaseUrl;
      if (xmlBase) {
        try {
          base = parentBaseUrl ? new URL(xmlBase, parentBaseUrl).href : xmlBase;
        } catch {
          base = xmlBase;
        }
      }
      this.#baseUrl = base;
    }
    return this.#baseUrl;
  }

  override get namespaceDeclarations(): Namespaces {
    if (this.#namespaces === undefined) {
      const own: Namespaces = {};
      for (const [key, value] of Object.entries(this.#attributes)) {
        if (key === 'xmlns') own[Element.DEFAULT_NAMESPACE] = value.trim();
        else if (key.startsWith('xmlns:')) own[key.slice('xmlns:'.length)] = value.trim();
      }
      this.#namespaces = { ...(this.parent?.namespaceDeclarations ?? {}), ...own };
    }
    return this.#namespaces;
  }

  override get textContent(): string {
    if (this.#children.length === 0) return '';
    let text = '';
    for (const child of this.#children)
      text += typeof child === 'string' ? child : child.textContent;
    return text;
  }

  override get innerHtml(): string {
    throw new NeedsFullParser('inner HTML (Atom xhtml content)');
  }

  /**
   * Children by name, indexed on first use: the library asks the channel for
   * its `link` once per item, which would scan every item each time.
   */
  override findElementsWithName(name: string): FastElement[] {
    if (this.#byName === undefined) {
      this.#byName = new Map();
      for (const child of this.#children) {
        if (typeof child === 'string') continue;
        const list = this.#byName.get(child.#name);
        if (list) list.push(child);
        else this.#byName.set(child.#name, [child]);
      }
    }
    // A copy: the caller may do what it likes with the array.
    return this.#byName.get(name)?.slice() ?? [];
  }
}

export interface XmlTree {
  /** The document node: its children are the top-level elements. */
  readonly document: FastElement;
  /** The first structural problem, or null. */
  readonly problem: string | null;
}

/** Parses the XML into a FastElement tree, noting the first structural problem. */
export function buildXmlTree(xml: string): XmlTree {
  const document = new FastElement('root', {}, null);
  let current = document;
  let depth = 0;
  let roots = 0;
  let justOpened: string | null = null;
  let problem: string | null = null;
  let inCdata = false;
  let text = '';
  const flush = () => {
    if (text !== '') current.append(inCdata ? text : decodeXmlText(text));
    text = '';
  };
  const parser = new Parser(
    {
      onopentag(name, attribs) {
        flush();
        if (depth === 0) roots++;
        depth++;
        justOpened = name;
        const attributes: Record<string, string> = {};
        for (const [key, value] of Object.entries(attribs)) {
          attributes[key.toLowerCase()] = decodeXmlText(value);
        }
        const element = new FastElement(name, attributes, current);
        current.append(element);
        current = element;
      },
      ontext(data) {
        justOpened = null;
        text += data;
      },
      oncdatastart() {
        flush();
        inCdata = true;
      },
      oncdataend() {
        flush();
        inCdata = false;
      },
      onclosetag(name, isImplied) {
        flush();
        // htmlparser2 reports <tag/> as an implied close right after its open.
        const selfClosing = isImplied && justOpened === name;
        justOpened = null;
        depth--;
        if (isImplied && !selfClosing) problem ??= `malformed XML: <${name}> is never closed`;
        current = current.parent ?? document;
      },
    },
    { xmlMode: true, decodeEntities: false, recognizeCDATA: true },
  );
  parser.write(xml);
  parser.end();
  flush();
  if (roots === 0) problem ??= 'malformed XML: no root element';
  else if (roots > 1) problem ??= 'malformed XML: more than one root element';
  return { document, problem };
}

/** What the library's parseFeed does after parsing: pick the feed class by root element. */
export function feedFromTree(document: FastElement): LibraryFeed {
  const asDocument = document as unknown as Document;
  if (document.hasElementWithName('feed')) return new AtomFeed(asDocument);
  if (document.hasElementWithName('rdf') || document.hasElementWithName('rss')) {
    return new RssFeed(asDocument);
  }
  throw new InvalidFeedError();
}
