/**
 * Text cleaning for feed content, the processor's last step. Pages render
 * feed text escaped, so HTML never reaches a browser as markup; sanitising
 * here still matters for the JSON API, whose clients may render it.
 */
import { parseBoundedHtml } from '../html';

const ALLOWED_TAGS = new Set([
  'a',
  'abbr',
  'b',
  'blockquote',
  'br',
  'code',
  'dd',
  'del',
  'dl',
  'dt',
  'em',
  'figcaption',
  'figure',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'ins',
  'li',
  'ol',
  'p',
  'pre',
  'q',
  's',
  'small',
  'strong',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'th',
  'thead',
  'tr',
  'u',
  'ul',
]);
const VOID_TAGS = new Set(['br', 'hr', 'img']);
/** Elements whose content is dropped along with them. */
const DROP_CONTENT = new Set([
  'script',
  'style',
  'iframe',
  'object',
  'embed',
  'noscript',
  'template',
  'svg',
  'math',
]);
const ALLOWED_ATTRIBUTES: Record<string, readonly string[]> = {
  a: ['href', 'title'],
  img: ['src', 'alt', 'title', 'width', 'height'],
  abbr: ['title'],
  td: ['colspan', 'rowspan'],
  th: ['colspan', 'rowspan'],
};
const URL_ATTRIBUTES = new Set(['href', 'src']);

/** Strips NUL and other C0 controls PostgreSQL or a browser would choke on. */
export function stripControls(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  return text.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g, '');
}

const escapeText = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttribute = (text: string) => escapeText(text).replace(/"/g, '&quot;');

/** Written out in full, with nothing the URL parser would have to repair. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a URL with them is repaired, not kept
const PLAIN_ABSOLUTE = /^(?:https?:\/\/|mailto:)[^\s\\\u0000-\u001F\u007F]*$/i;

/**
 * An absolute http(s) (or, for links in content, mailto) URL, or null. A URL
 * already absolute and clean is kept as written (the parser would lower-case
 * its host: item.TEST became item.test); a relative one is resolved.
 */
export function safeUrl(
  value: string,
  base?: string | null,
  options: { mailto?: boolean } = {},
): string | null {
  const trimmed = value.trim();
  const url = URL.parse(trimmed, base ?? undefined);
  if (!url) return null;
  const ok =
    url.protocol === 'http:' ||
    url.protocol === 'https:' ||
    (options.mailto === true && url.protocol === 'mailto:');
  if (!ok) return null;
  return PLAIN_ABSOLUTE.test(trimmed) && URL.canParse(trimmed) ? trimmed : url.href;
}

/** An allow-list of tags and attributes; links only http(s) and mailto, resolved against base. */
export function sanitizeHtml(html: string, base?: string | null): string {
  const out: string[] = [];
  const open: string[] = [];
  let dropDepth = 0;
  parseBoundedHtml(
    stripControls(html),
    {
      onopentag(name, attributes) {
        if (DROP_CONTENT.has(name)) {
          dropDepth++;
          return;
        }
        if (dropDepth > 0 || !ALLOWED_TAGS.has(name)) return;
        const kept: string[] = [];
        for (const attribute of ALLOWED_ATTRIBUTES[name] ?? []) {
          const raw = attributes[attribute];
          if (raw === undefined) continue;
          const value = URL_ATTRIBUTES.has(attribute)
            ? safeUrl(raw, base, { mailto: name === 'a' })
            : raw;
          if (value !== null) kept.push(` ${attribute}="${escapeAttribute(value)}"`);
        }
        if (name === 'a') kept.push(' rel="nofollow noopener noreferrer"');
        out.push(`<${name}${kept.join('')}>`);
        if (!VOID_TAGS.has(name)) open.push(name);
      },
      ontext(text) {
        if (dropDepth === 0) out.push(escapeText(text));
      },
      onclosetag(name) {
        if (DROP_CONTENT.has(name)) {
          dropDepth = Math.max(0, dropDepth - 1);
          return;
        }
        if (dropDepth > 0 || VOID_TAGS.has(name) || !ALLOWED_TAGS.has(name)) return;
        const at = open.lastIndexOf(name);
        if (at === -1) return;
        while (open.length > at) out.push(`</${open.pop()}>`);
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  while (open.length > 0) out.push(`</${open.pop()}>`);
  return out.join('');
}

const BLOCK_TAGS = new Set([
  'p',
  'br',
  'div',
  'li',
  'tr',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'hr',
]);

/** Text only: tags removed, entities decoded, whitespace collapsed. */
export function toPlainText(html: string): string {
  // Most titles have no markup and no entity: the parser would hand the text back as is.
  if (!html.includes('<') && !html.includes('&')) {
    return stripControls(html).replace(/\s+/g, ' ').trim();
  }
  const out: string[] = [];
  let dropDepth = 0;
  parseBoundedHtml(
    stripControls(html),
    {
      onopentag(name) {
        if (DROP_CONTENT.has(name)) dropDepth++;
        else if (BLOCK_TAGS.has(name)) out.push(' ');
      },
      ontext(text) {
        if (dropDepth === 0) out.push(text);
      },
      onclosetag(name) {
        if (DROP_CONTENT.has(name)) dropDepth = Math.max(0, dropDepth - 1);
        else if (BLOCK_TAGS.has(name)) out.push(' ');
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  return out.join('').replace(/\s+/g, ' ').trim();
}

/** Cuts at a word boundary when it can, with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > max * 0.6 ? cut.slice(0, space) : cut}…`;
}
