/**
 * htmlparser2 over HTML from anyone (pages people bookmark, feed items),
 * stopping for good past MAX_HTML_DEPTH levels of nesting.
 *
 * Why: the parser's open-element stack costs time in proportion to its depth
 * at every tag and every unmatched end tag, so 137 KB of `<b>` followed by
 * `</i>` took 2 s and 1 MB took 12 s (quadratic; upstream
 * fb55/htmlparser2#2481, not released). Real pages nest a few dozen levels
 * (Chromium stops nesting at 512), so nothing real is lost, and a stopped
 * parse keeps everything read up to that point. Worst case left: 5 MB of
 * unmatched end tags under the deepest stack, about a second.
 */
import { type Handler, Parser, type ParserOptions } from 'htmlparser2';

export const MAX_HTML_DEPTH = 256;

/** Parses `html` with `handlers`; false when it stopped early at the depth bound. */
export function parseBoundedHtml(
  html: string,
  handlers: Partial<Handler>,
  options: ParserOptions,
): boolean {
  let depth = 0;
  let stopped = false;
  const parser: Parser = new Parser(
    {
      ...handlers,
      onopentag(name, attributes, implied) {
        depth += 1;
        if (depth > MAX_HTML_DEPTH) {
          stopped = true;
          parser.pause(); // never resumed: nothing after this point is read
          return;
        }
        handlers.onopentag?.(name, attributes, implied);
      },
      onclosetag(name, implied) {
        depth -= 1;
        handlers.onclosetag?.(name, implied);
      },
    },
    options,
  );
  parser.write(html);
  if (!stopped) parser.end();
  return !stopped;
}
