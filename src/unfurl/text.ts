/** Small text and URL clean-ups shared by the extractors. */
const MAX_TEXT = 5000;

/** Whitespace collapsed, trimmed, capped; undefined when nothing is left. */
export function clean(text: string | undefined, max = MAX_TEXT): string | undefined {
  const value = text?.replace(/\s+/g, ' ').trim();
  return value ? value.slice(0, max) : undefined;
}

/** An absolute http(s) URL, or undefined (javascript:, data:, garbage). */
export function absoluteHttpUrl(href: string | undefined, base: string): string | undefined {
  if (!href?.trim()) return undefined;
  try {
    const url = new URL(href.trim(), base);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    url.hash = '';
    return url.href;
  } catch {
    return undefined;
  }
}
