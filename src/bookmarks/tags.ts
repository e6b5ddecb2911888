/** Tags as people type them: "a b, c" → ["a", "b", "c"], trimmed, de-duplicated, lower-cased. */
export const MAX_TAG_LENGTH = 64;
export const MAX_TAGS = 100;

export function parseTags(input: string | readonly string[] | undefined | null): string[] {
  if (input === undefined || input === null) return [];
  const parts = (typeof input === 'string' ? [input] : input).flatMap((s) => s.split(/[\s,]+/));
  const seen = new Set<string>();
  for (const part of parts) {
    const tag = part.trim().toLowerCase().slice(0, MAX_TAG_LENGTH);
    if (tag !== '') seen.add(tag);
  }
  return [...seen].slice(0, MAX_TAGS);
}
