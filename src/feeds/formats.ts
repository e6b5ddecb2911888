/**
 * From feedsmith's objects (one shape per format, mirroring the document) to
 * a ParsedFeed. This is where the app decides which element means what for
 * it: which link is the item's, which id, which date, and whether a text is
 * plain text or HTML. Titles keep their type (so "History of the <blink>
 * tag" stays text); summaries and content become HTML, plain text (Atom
 * type="text", JSON Feed) escaped here, so the processor sanitises them
 * without knowing the format.
 */
import type { AnyFeed, AtomFeed, JsonFeed, RdfFeed, RssFeed } from 'feedsmith';
import type { ParsedFeed, ParsedItem, TitleType } from './parsed';
import type { XmlCheck } from './xml-check';

type Header = Omit<ParsedFeed, 'format' | 'items' | 'meta'>;

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function validDate(value: string | undefined): Date | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** An absolute http(s) URL, as written; null for anything else. */
function absoluteHttpUrl(value: string | undefined): string | null {
  const text = value?.trim();
  return text && /^https?:\/\//i.test(text) && URL.canParse(text) ? text : null;
}

/** href against the xml:base values around it (innermost first), when they make it absolute. */
function resolveAgainst(href: string, bases: ReadonlyArray<string | undefined>): string {
  if (absoluteHttpUrl(href)) return href.trim();
  let base: string | undefined;
  for (const next of [...bases].reverse()) {
    if (!next) continue;
    base = base ? (URL.parse(next, base)?.href ?? base) : next;
  }
  return (base && URL.parse(href.trim(), base)?.href) || href;
}

function rss(feed: RssFeed.Feed<string> | RdfFeed.Feed<string>, format: 'rss' | 'rdf') {
  const header: Header = {
    title: feed.title ?? feed.dc?.titles?.[0] ?? null,
    titleType: 'html',
    description: feed.description ?? feed.dc?.descriptions?.[0] ?? null,
    siteUrl: feed.link ?? null,
    language: ('language' in feed ? feed.language : undefined) ?? feed.dc?.languages?.[0] ?? null,
    updated: validDate(
      ('lastBuildDate' in feed ? feed.lastBuildDate : undefined) ?? feed.dc?.dates?.[0],
    ),
  };
  const items = (feed.items ?? []).map((item): ParsedItem => {
    const guid = 'guid' in item ? item.guid : undefined;
    // RSS 2.0: a guid is a permalink unless isPermaLink="false" says otherwise.
    const permalink = guid && guid.isPermaLink !== false ? absoluteHttpUrl(guid.value) : null;
    const about = 'rdf' in item ? item.rdf?.about : undefined;
    return {
      id: guid?.value ?? (format === 'rdf' ? (about ?? null) : null),
      title: item.title ?? item.dc?.titles?.[0] ?? null,
      titleType: 'html',
      link: item.link?.trim() || permalink,
      summary: item.description ?? item.dc?.descriptions?.[0] ?? null,
      content: item.content?.encoded ?? null,
      published: validDate(('pubDate' in item ? item.pubDate : undefined) ?? item.dc?.dates?.[0]),
      updated: validDate(item.atom?.updated ?? item.dcterms?.modified?.[0]),
      raw: item as Record<string, unknown>,
    };
  });
  return { header, items };
}

/** The text, decoded when Atom 1.0's binary types or Atom 0.3's mode="base64" say so. */
function atomText(
  text: AtomFeed.Text | AtomFeed.Content | undefined,
  base64: boolean,
): { value: string | null; type: TitleType } {
  let value = text?.value;
  const type = text?.type?.toLowerCase() ?? 'text';
  // RFC 4287 4.1.3.3: a media type that is neither text nor XML is base64.
  const binary = type.includes('/') && !type.startsWith('text/') && !/[/+]xml$/.test(type);
  if (value !== undefined && (base64 || binary)) {
    value = Buffer.from(value.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  // Decoded binary has no type saying how to read it: taken as HTML, like markup types.
  const html =
    binary || type === 'html' || type === 'xhtml' || type === 'text/html' || /xml$/.test(type);
  return { value: value ?? null, type: html ? 'html' : 'text' };
}

function atomHtml(text: AtomFeed.Text | AtomFeed.Content | undefined, base64: boolean) {
  const { value, type } = atomText(text, base64);
  return value !== null && type === 'text' ? escapeHtml(value) : value;
}

function atom(feed: AtomFeed.Feed<string>, check: XmlCheck['base64']) {
  // The marks count entries in the document; they apply only if feedsmith kept every one.
  const entries = feed.entries ?? [];
  const marked = (key: string) => check.entries === entries.length && check.marks.has(key);
  const alternate = (links: AtomFeed.Feed<string>['links'], bases: Array<string | undefined>) => {
    const link = links?.find((l) => !l.rel || l.rel === 'alternate');
    return link?.href ? resolveAgainst(link.href, bases) : null;
  };
  const title = atomText(feed.title, marked('feed/title'));
  const header: Header = {
    title: title.value,
    titleType: title.type,
    description: atomHtml(feed.subtitle, marked('feed/subtitle') || marked('feed/tagline')),
    siteUrl: alternate(feed.links, [feed.xml?.base]),
    language: feed.xml?.lang ?? null,
    updated: validDate(feed.updated),
  };
  const items = entries.map((entry, n): ParsedItem => {
    const at = (name: string) => marked(`entry:${n}/${name}`);
    const title = atomText(entry.title, at('title'));
    return {
      id: entry.id ?? null,
      title: title.value,
      titleType: title.type,
      link: alternate(entry.links, [entry.xml?.base, feed.xml?.base]),
      summary: atomHtml(entry.summary, at('summary')),
      content: atomHtml(entry.content, at('content')),
      published: validDate(entry.published),
      updated: validDate(entry.updated),
      raw: entry as Record<string, unknown>,
    };
  });
  return { header, items };
}

/** JSON Feed 1.0/1.1: titles and summaries are plain text, content_text too. */
function json(feed: JsonFeed.Feed<string>) {
  const text = (value: string | undefined) => (value === undefined ? null : escapeHtml(value));
  const header: Header = {
    title: feed.title ?? null,
    titleType: 'text',
    description: text(feed.description),
    siteUrl: feed.home_page_url ?? null,
    language: feed.language ?? null,
    updated: null,
  };
  const items = (feed.items ?? []).map(
    (item): ParsedItem => ({
      id: item.id ?? null,
      title: item.title ?? null,
      titleType: 'text',
      link: item.url ?? item.external_url ?? null,
      summary: text(item.summary),
      content: item.content_html ?? text(item.content_text),
      published: validDate(item.date_published),
      updated: validDate(item.date_modified),
      raw: item as Record<string, unknown>,
    }),
  );
  return { header, items };
}

/** The ParsedFeed of what feedsmith read; `base64` comes from checkXml (XML only). */
export function toParsedFeed(result: AnyFeed<string>, base64?: XmlCheck['base64']): ParsedFeed {
  const { header, items } =
    result.format === 'atom'
      ? atom(result.feed, base64 ?? { marks: new Set(), entries: 0 })
      : result.format === 'json'
        ? json(result.feed)
        : rss(result.feed, result.format);
  const { items: _items, entries: _entries, ...rest } = result.feed as Record<string, unknown>;
  return {
    format: result.format,
    ...header,
    items,
    // The header as the library read it, with the site URL under one name for every format.
    meta: { ...rest, url: header.siteUrl },
  };
}
