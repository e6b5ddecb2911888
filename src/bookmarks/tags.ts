/** Tags as people type them: "a b, c" → ["a", "b", "c"], trimmed, de-duplicated, lower-cased. */
export const MAX_TAG_LENGTH = 64;
export const MAX_TAGS = 100;

export function parseTags(input: string | readonly string[] | undefined | null): string[] {
  if (input === undefined || input === null) return [];
  const tags: string[] = [];
  for (const part of typeof input === 'string' ? [input] : input) addTags(tags, part);
  return tags;
}

/**
 * Adds the tags `text` holds to `tags`, read as parseTags reads them, until
 * there are MAX_TAGS. `clean` changes each tag before it is compared with
 * those already there (imports remove NUL with it).
 */
export function addTags(tags: string[], text: string, clean?: (tag: string) => string): void {
  if (SEPARATOR.test(text)) {
    for (const piece of text.split(SEPARATORS)) addTags(tags, piece, clean);
    return;
  }
  const lower = text.toLowerCase().slice(0, MAX_TAG_LENGTH);
  const tag = clean ? clean(lower) : lower;
  if (tag !== '' && tags.length < MAX_TAGS && !tags.includes(tag)) tags.push(tag);
}

const SEPARATOR = /[\s,]/;
const SEPARATORS = /[\s,]+/;
