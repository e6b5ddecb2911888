/**
 * Page metadata from HTML in one streaming pass (htmlparser2): title,
 * description, image and author from Open Graph, Dublin Core, JSON-LD and
 * microdata, in that order of preference, then the plain <title> and <meta>
 * tags; and feed links (<link rel=alternate>) and likely feed <a> links.
 */
import { parseBoundedHtml } from '../html';
import { fromJsonLd, type MetadataFields } from './json-ld';
import { absoluteHttpUrl, clean } from './text';

export interface PageMetadata extends MetadataFields {
  /** Feeds the page declares with <link rel="alternate">, absolute, in page order. */
  readonly feedLinks: string[];
  /** <a> links that look like feeds; worth checking, not trusting. */
  readonly feedCandidates: string[];
}

const FEED_TYPES = new Set([
  'application/rss+xml',
  'application/atom+xml',
  'application/feed+json',
  'application/rdf+xml',
  'application/json+feed',
]);
const LIKELY_FEED_HREF =
  /(\/feed\/?$|\/rss\/?$|\/atom\/?$|\.rss$|\.atom$|\/(rss|atom|feed|index)\.(xml|json)$|[?&]feed=(rss2?|atom))/i;
/** Every LIKELY_FEED_HREF match has one of these in the link as written. */
const MAY_NAME_FEED = /feed|rss|atom|index\./i;
const LIKELY_FEED_TEXT = /^\s*(rss|atom|feed|rss feed|atom feed|subscribe)\s*$/i;

type Source = 'og' | 'dc' | 'microdata' | 'basic';
type Field = keyof MetadataFields;

const META_FIELDS: Record<string, [Source, Field]> = {
  'og:title': ['og', 'title'],
  'og:description': ['og', 'description'],
  'og:image': ['og', 'image'],
  'og:image:url': ['og', 'image'],
  'og:image:secure_url': ['og', 'image'],
  'article:author': ['og', 'author'],
  'og:article:author': ['og', 'author'],
  'dc.title': ['dc', 'title'],
  'dcterms.title': ['dc', 'title'],
  'dc.description': ['dc', 'description'],
  'dcterms.description': ['dc', 'description'],
  'dcterms.abstract': ['dc', 'description'],
  'dc.creator': ['dc', 'author'],
  'dcterms.creator': ['dc', 'author'],
  description: ['basic', 'description'],
  author: ['basic', 'author'],
  'twitter:title': ['basic', 'title'],
  'twitter:description': ['basic', 'description'],
  'twitter:image': ['basic', 'image'],
  'twitter:image:src': ['basic', 'image'],
};

const MICRODATA_FIELDS: Record<string, Field> = {
  name: 'title',
  headline: 'title',
  description: 'description',
  image: 'image',
  thumbnailurl: 'image',
  author: 'author',
  creator: 'author',
};

interface Capture {
  readonly depth: number;
  readonly kind: 'title' | 'jsonld' | 'microdata' | 'author-name' | 'anchor';
  readonly field?: Field;
  readonly href?: string;
  text: string;
}

// Bounds for pages built to hurt (the page is anyone's, and the bookmark form
// reads it while the person waits). Each piece of text is added to every open
// capture, so both their number and their length are capped. Nesting is
// bounded by parseBoundedHtml (src/html): what the <head> said is kept.
const MAX_OPEN_CAPTURES = 16;
const CAPTURE_CHARS = {
  title: 5_000,
  jsonld: 256 * 1024,
  microdata: 5_000,
  'author-name': 500,
  anchor: 200,
};
const MAX_JSON_LD_BLOCKS = 16;
const MAX_FEED_LINKS = 20;
const MAX_FEED_CANDIDATES = 100;

export function extractMetadata(html: string, pageUrl: string): PageMetadata {
  let base = pageUrl;
  const found: Record<Source, MetadataFields> = { og: {}, dc: {}, microdata: {}, basic: {} };
  const jsonLd: string[] = [];
  const feedLinks = new Set<string>();
  const feedCandidates = new Set<string>();
  const captures: Capture[] = [];
  let depth = 0;
  let authorScopeDepth: number | undefined;
  const capture = (opened: Capture) => {
    if (captures.length < MAX_OPEN_CAPTURES) captures.push(opened);
  };

  const set = (source: Source, field: Field, value: string | undefined) => {
    const cleaned = field === 'image' ? absoluteHttpUrl(value, base) : clean(value);
    if (cleaned && found[source][field] === undefined) found[source][field] = cleaned;
  };

  const handlers = {
    onopentag(name: string, attrs: Record<string, string>) {
      depth += 1;
      if (name === 'base' && attrs.href) base = absoluteHttpUrl(attrs.href, pageUrl) ?? base;
      if (name === 'title' && found.basic.title === undefined) {
        capture({ depth, kind: 'title', text: '' });
      }
      if (name === 'meta') {
        const key = (attrs.property ?? attrs.name ?? '').trim().toLowerCase();
        const mapped = META_FIELDS[key];
        if (mapped && attrs.content !== undefined) set(mapped[0], mapped[1], attrs.content);
      }
      if (
        name === 'link' &&
        feedLinks.size < MAX_FEED_LINKS &&
        /(^|\s)alternate(\s|$)/i.test(attrs.rel ?? '') &&
        FEED_TYPES.has((attrs.type ?? '').split(';')[0]!.trim().toLowerCase())
      ) {
        const href = absoluteHttpUrl(attrs.href, base);
        if (href) feedLinks.add(href);
      }
      if (name === 'script' && (attrs.type ?? '').trim().toLowerCase() === 'application/ld+json') {
        capture({ depth, kind: 'jsonld', text: '' });
      }
      // Resolved only when it may be a feed link: pages have thousands of links.
      if (name === 'a' && attrs.href)
        capture({ depth, kind: 'anchor', href: attrs.href, text: '' });
      openMicrodata(name, attrs);
    },
    ontext(text: string) {
      for (const open of captures) {
        const room = CAPTURE_CHARS[open.kind] - open.text.length;
        if (room > 0) open.text += text.length > room ? text.slice(0, room) : text;
      }
    },
    onclosetag() {
      while (captures.length > 0 && captures.at(-1)!.depth === depth) finish(captures.pop()!);
      if (authorScopeDepth === depth) authorScopeDepth = undefined;
      depth -= 1;
    },
  };

  function openMicrodata(name: string, attrs: Record<string, string>) {
    const prop = attrs.itemprop?.trim().toLowerCase().split(/\s+/)[0];
    if (authorScopeDepth !== undefined && prop === 'name') {
      if (attrs.content !== undefined) set('microdata', 'author', attrs.content);
      else capture({ depth, kind: 'author-name', text: '' });
      return;
    }
    const field = prop ? MICRODATA_FIELDS[prop] : undefined;
    if (!field) return;
    if (field === 'author' && attrs.itemscope !== undefined) {
      authorScopeDepth ??= depth;
      return;
    }
    const value =
      attrs.content ??
      (name === 'img' ? attrs.src : undefined) ??
      (name === 'a' || name === 'link' ? attrs.href : undefined) ??
      (name === 'meta' ? '' : undefined);
    if (value !== undefined) set('microdata', field, value);
    else if (attrs.itemscope === undefined) capture({ depth, kind: 'microdata', field, text: '' });
  }

  function finish(done: Capture) {
    if (done.kind === 'title') set('basic', 'title', done.text);
    else if (done.kind === 'jsonld') {
      if (jsonLd.length < MAX_JSON_LD_BLOCKS) jsonLd.push(done.text);
    } else if (done.kind === 'microdata') set('microdata', done.field!, done.text);
    else if (done.kind === 'author-name') set('microdata', 'author', done.text);
    else if (done.kind === 'anchor' && feedCandidates.size < MAX_FEED_CANDIDATES) {
      const textSaysFeed = LIKELY_FEED_TEXT.test(done.text);
      if (!textSaysFeed && !MAY_NAME_FEED.test(done.href!)) return;
      const href = absoluteHttpUrl(done.href, base);
      if (!href) return;
      const url = new URL(href);
      if (textSaysFeed || LIKELY_FEED_HREF.test(url.pathname + url.search))
        feedCandidates.add(href);
    }
  }

  parseBoundedHtml(html, handlers, {
    decodeEntities: true,
    lowerCaseTags: true,
    lowerCaseAttributeNames: true,
  });

  const ld = fromJsonLd(jsonLd, base);
  const pick = (field: Field) =>
    found.og[field] ?? found.dc[field] ?? ld[field] ?? found.microdata[field] ?? found.basic[field];
  return {
    title: pick('title'),
    description: pick('description'),
    image: pick('image'),
    author: pick('author'),
    feedLinks: [...feedLinks],
    feedCandidates: [...feedCandidates].filter((href) => !feedLinks.has(href)).slice(0, 10),
  };
}
