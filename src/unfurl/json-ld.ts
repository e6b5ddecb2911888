/** Title, description, image and author from JSON-LD blocks (schema.org). */
import { absoluteHttpUrl, clean } from './text';

export interface MetadataFields {
  title?: string;
  description?: string;
  image?: string;
  author?: string;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function objects(value: Json, out: Array<Record<string, Json>> = [], depth = 0) {
  if (depth > 6 || value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    for (const item of value) objects(item, out, depth + 1);
    return out;
  }
  out.push(value);
  const graph = value['@graph'];
  if (graph) objects(graph, out, depth + 1);
  return out;
}

function text(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return text(value[0]);
  return undefined;
}

function imageUrl(value: Json | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return imageUrl(value[0]);
  if (value && typeof value === 'object') return text(value.url) ?? text(value.contentUrl);
  return undefined;
}

function authorNames(value: Json | undefined): string | undefined {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const names = list
    .map((a) =>
      typeof a === 'string'
        ? a
        : a && typeof a === 'object' && !Array.isArray(a)
          ? text(a.name)
          : undefined,
    )
    .filter((n): n is string => Boolean(n?.trim()));
  return names.length > 0 ? names.join(', ') : undefined;
}

// The page's own item comes before the site or the organisation behind it.
const PAGE_TYPES =
  /^(article|newsarticle|blogposting|techarticle|report|webpage|product|recipe|video|creativework|book|event)/i;

export function fromJsonLd(blocks: readonly string[], base: string): MetadataFields {
  const items: Array<Record<string, Json>> = [];
  for (const block of blocks) {
    try {
      objects(JSON.parse(block) as Json, items);
    } catch {
      // Broken JSON-LD is common; the other sources still count.
    }
  }
  const typeOf = (item: Record<string, Json>) => text(item['@type']) ?? '';
  items.sort((a, b) => Number(PAGE_TYPES.test(typeOf(b))) - Number(PAGE_TYPES.test(typeOf(a))));
  const result: MetadataFields = {};
  for (const item of items) {
    result.title ??= clean(text(item.headline) ?? text(item.name));
    result.description ??= clean(text(item.description));
    result.image ??= absoluteHttpUrl(imageUrl(item.image) ?? imageUrl(item.thumbnailUrl), base);
    result.author ??= clean(authorNames(item.author ?? item.creator));
  }
  return result;
}
