/**
 * The `json` fields of the feed JSON API (a feed's metadata, an item's raw
 * parse) as safe as the sanitised fields beside them: they carry what the
 * feed said, and an API client may render any of it. Every string that
 * looks like markup is sanitised like item descriptions; URL fields keep
 * only http(s) addresses; no string anywhere may be a javascript:,
 * vbscript: or data: link. Depth and list lengths are capped, too.
 */
import { safeUrl, sanitizeHtml } from './sanitize';

const MAX_DEPTH = 8;
const MAX_LIST = 100;
/** Keys whose values are addresses: url, link, href, src, image, feed_url, avatar… */
const URL_KEY = /(^|_)(url|link|href|src|uri|self|image|icon|favicon|avatar|logo)s?$/i;

/** What browsers run or render from a link, once the spaces and controls they ignore are gone. */
function isDangerousLink(text: string): boolean {
  // Browsers drop leading whitespace and control characters (up to U+0020),
  // and tabs and newlines anywhere.
  let start = 0;
  while (start < text.length && text.charCodeAt(start) <= 0x20) start++;
  const squeezed = text.slice(start, start + 64).replace(/[\t\n\r]/g, '');
  return /^(javascript|vbscript):/i.test(squeezed) || /^data:\S/i.test(squeezed);
}

function safeString(key: string, text: string): string | null {
  if (isDangerousLink(text)) return null;
  if (URL_KEY.test(key)) return safeUrl(text);
  return text.includes('<') ? sanitizeHtml(text) : text;
}

export function safeFeedJson(value: unknown, key = '', depth = 0): unknown {
  if (typeof value === 'string') return safeString(key, value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return null;
  if (Array.isArray(value)) {
    // A list keeps its parent's key: `links: [...]` holds links.
    return value.slice(0, MAX_LIST).map((item) => safeFeedJson(item, key, depth + 1));
  }
  const out: Record<string, unknown> = {};
  for (const [name, inner] of Object.entries(value)) {
    if (name === '__proto__') continue; // an own key in parsed JSON, a prototype here
    out[name] = safeFeedJson(inner, name, depth + 1);
  }
  return out;
}
