/**
 * Page metadata from HTML in one streaming pass (htmlparser2): title,
 * description, image and author from Open Graph, Dublin Core, JSON-LD and
 * microdata, in that order of preference, then the plain <title> and <meta>
 * tags; and feed links (<link rel=alternate>) and likely feed <a> links.
 */
import { Parser } from 'htmlparser2';
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

export function extractMetadata(html: string, pageUrl: string): PageMetadata {
  let base = pageUrl;
  const found: Record<Source, MetadataFields> = { og: {}, dc: {}, microdata: {}, basic: {} };
  const jsonLd: string[] = [];
  const feedLinks: string[] = [];
  const feedCandidates: string[] = [];
  const captures: Capture[] = [];
  let depth = 0;
  let authorScopeDepth: number | undefined;

  const set = (source: Source, field: Field, value: string | undefined) => {
    const cleaned = field === 'image' ? absoluteHttpUrl(value, base) : clean(value);
    if (cleaned && found[source][field] === undefined) found[source][field] = cleaned;
  };

  const parser = new Parser(
    {
      onopentag(name, attrs) {
        depth += 1;
        if (name === 'base' && attrs.href) base = absoluteHttpUrl(attrs.href, pageUrl) ?? base;
        if (name === 'title' && found.basic.title === undefined) {
          captures.push({ depth, kind: 'title', text: '' });
        }
        if (name === 'meta') {
          const key = (attrs.property ?? attrs.name ?? '').trim().toLowerCase();
          const mapped = META_FIELDS[key];
          if (mapped && attrs.content !== undefined) set(mapped[0], mapped[1], attrs.content);
        }
        if (name === 'link' && /(^|\s)alternate(\s|$)/i.test(attrs.rel ?? '')) {
          const type = (attrs.type ?? '').split(';')[0]!.trim().toLowerCase();
          const href = absoluteHttpUrl(attrs.href, base);
          if (FEED_TYPES.has(type) && href && !feedLinks.includes(href)) feedLinks.push(href);
        }
        if (
          name === 'script' &&
          (attrs.type ?? '').trim().toLowerCase() === 'application/ld+json'
        ) {
          captures.push({ depth, kind: 'jsonld', text: '' });
        }
        if (name === 'a' && attrs.href) {
          const href = absoluteHttpUrl(attrs.href, base);
          if (href) captures.push({ depth, kind: 'anchor', href, text: '' });
        }
        openMicrodata(name, attrs);
      },
      ontext(text) {
        for (const capture of captures) capture.text += text;
      },
      onclosetag() {
        while (captures.length > 0 && captures.at(-1)!.depth === depth) finish(captures.pop()!);
        if (authorScopeDepth === depth) authorScopeDepth = undefined;
        depth -= 1;
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );

  function openMicrodata(name: string, attrs: Record<string, string>) {
    const prop = attrs.itemprop?.trim().toLowerCase().split(/\s+/)[0];
    if (authorScopeDepth !== undefined && prop === 'name') {
      if (attrs.content !== undefined) set('microdata', 'author', attrs.content);
      else captures.push({ depth, kind: 'author-name', text: '' });
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
    else if (attrs.itemscope === undefined)
      captures.push({ depth, kind: 'microdata', field, text: '' });
  }

  function finish(capture: Capture) {
    if (capture.kind === 'title') set('basic', 'title', capture.text);
    else if (capture.kind === 'jsonld') jsonLd.push(capture.text);
    else if (capture.kind === 'microdata') set('microdata', capture.field!, capture.text);
    else if (capture.kind === 'author-name') set('microdata', 'author', capture.text);
    else if (capture.kind === 'anchor' && capture.href) {
      const likely =
        LIKELY_FEED_HREF.test(new URL(capture.href).pathname + new URL(capture.href).search) ||
        LIKELY_FEED_TEXT.test(capture.text);
      if (likely && !feedCandidates.includes(capture.href)) feedCandidates.push(capture.href);
    }
  }

  parser.write(html);
  parser.end();

  const ld = fromJsonLd(jsonLd, base);
  const pick = (field: Field) =>
    found.og[field] ?? found.dc[field] ?? ld[field] ?? found.microdata[field] ?? found.basic[field];
  return {
    title: pick('title'),
    description: pick('description'),
    image: pick('image'),
    author: pick('author'),
    feedLinks,
    feedCandidates: feedCandidates.filter((href) => !feedLinks.includes(href)).slice(0, 10),
  };
}
