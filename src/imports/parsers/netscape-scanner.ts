/**
 * A fast reader of the HTML that bookmark files are made of. It finds tags
 * with indexOf and reads only the attributes a record uses, where htmlparser2
 * builds every attribute and every text node of the file: about a quarter of
 * its CPU and a fraction of its garbage on a browser export.
 *
 * It follows htmlparser2 (the exact version in package.json) for the markup it
 * reads: the same tokenizer states for tags, attributes, comments and
 * declarations; entities decoded by the `entities` package htmlparser2 uses
 * (its whole-string decoders, which mirror the streaming one htmlparser2 runs:
 * the test compares them); and the same tree rules (which tag closes which,
 * void elements, end tags that close what is open above them). Whatever it
 * does not read that way throws
 * UnsupportedMarkup, and the caller reads the file with htmlparser2 instead:
 * raw-text elements (script, style, …), foreign content (svg, math), a second
 * form, a tag cut by the end of the file, or a construct over MAX_CARRY
 * characters. test/imports/netscape-parser.test.ts compares the two readers.
 */
import { decodeHTML, decodeHTMLAttribute } from 'entities';
import type { AnchorAttributes, NetscapeRecords } from './netscape-records';

/** Markup this scanner does not read as htmlparser2 would: read the file with htmlparser2. */
export class UnsupportedMarkup extends Error {
  constructor(what: string) {
    super(`the fast Netscape scanner does not read ${what}`);
    this.name = 'UnsupportedMarkup';
  }
}

/** An unfinished tag, comment or text carried into the next chunk stays under this many characters. */
export const MAX_CARRY = 1 << 20;

/* htmlparser2's tree rules (Parser.ts, HTML mode) ----------------------- */

const P = new Set(['p']);
const HEADINGS = new Set(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'p']);
const FORM_TAGS = new Set([
  'input',
  'option',
  'optgroup',
  'select',
  'button',
  'datalist',
  'textarea',
]);
const TABLE_SECTIONS = new Set(['thead', 'tbody']);
const DD_DT = new Set(['dd', 'dt']);
const RT_RP = new Set(['rt', 'rp']);

/** Opening the key closes the open elements in its set while one of them is on top. */
const OPEN_IMPLIES_CLOSE = new Map<string, ReadonlySet<string>>([
  ['tr', new Set(['tr', 'th', 'td'])],
  ['th', new Set(['th'])],
  ['td', new Set(['thead', 'th', 'td'])],
  ['body', new Set(['head', 'link', 'script'])],
  ['a', new Set(['a'])],
  ['li', new Set(['li'])],
  ['p', P],
  ['h1', HEADINGS],
  ['h2', HEADINGS],
  ['h3', HEADINGS],
  ['h4', HEADINGS],
  ['h5', HEADINGS],
  ['h6', HEADINGS],
  ['select', FORM_TAGS],
  ['input', FORM_TAGS],
  ['output', FORM_TAGS],
  ['button', FORM_TAGS],
  ['datalist', FORM_TAGS],
  ['textarea', FORM_TAGS],
  ['option', new Set(['option'])],
  ['optgroup', new Set(['optgroup', 'option'])],
  ['dd', DD_DT],
  ['dt', DD_DT],
  ...[
    'address',
    'article',
    'aside',
    'blockquote',
    'details',
    'div',
    'dl',
    'fieldset',
    'figcaption',
    'figure',
    'footer',
    'form',
    'header',
    'hr',
    'main',
    'nav',
    'ol',
    'pre',
    'section',
    'table',
    'ul',
  ].map((name): [string, ReadonlySet<string>] => [name, P]),
  ['rt', RT_RP],
  ['rp', RT_RP],
  ['tbody', TABLE_SECTIONS],
  ['tfoot', TABLE_SECTIONS],
]);

const VOID_ELEMENTS = new Set([
  'area',
  'base',
  'basefont',
  'br',
  'col',
  'command',
  'embed',
  'frame',
  'hr',
  'img',
  'input',
  'isindex',
  'keygen',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
]);

/**
 * Raw-text elements other than title (their content is not markup), and the
 * elements that switch htmlparser2 to foreign-content rules.
 */
const UNSUPPORTED_ELEMENTS = new Set([
  'script',
  'style',
  'textarea',
  'iframe',
  'noembed',
  'noframes',
  'plaintext',
  'xmp',
  'svg',
  'math',
]);

/** The attributes a record reads; the others of an `<a>` are skipped, not decoded. */
const ANCHOR_ATTRIBUTES: ReadonlyArray<keyof AnchorAttributes> = [
  'href',
  'add_date',
  'time_added',
  'last_modified',
  'tags',
  'tag',
  'private',
  'feed_url',
  'feedurl',
];

type MutableAnchorAttributes = { -readonly [K in keyof AnchorAttributes]: AnchorAttributes[K] };

/* Characters ------------------------------------------------------------ */

const TAB = 0x09;
const LF = 0x0a;
const FF = 0x0c;
const CR = 0x0d;
const SPACE = 0x20;
const BANG = 0x21;
const DOUBLE_QUOTE = 0x22;
const SINGLE_QUOTE = 0x27;
const SLASH = 0x2f;
const EQUALS = 0x3d;
const GT = 0x3e;
const QUESTION = 0x3f;

function isWhitespace(c: number): boolean {
  return c === SPACE || c === LF || c === TAB || c === FF || c === CR;
}

function isEndOfTagSection(c: number): boolean {
  return c === SLASH || c === GT || isWhitespace(c);
}

function isAsciiAlpha(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a);
}

/** `</title` as htmlparser2 finds it (ASCII case folded), followed by the end of the name. */
const TITLE_END = /<\/title[\t\n\f\r />]/gi;
/** htmlparser2 folds case with `c | 0x20`, which also turns U+001C into `<` and U+000F into `/`. */
const hasTitleEndLookalike = (text: string) =>
  text.includes(String.fromCharCode(0x1c)) || text.includes(String.fromCharCode(0x0f));
/** A carried text that starts a tag, end tag, comment or declaration (all end at a `>`). */
const STARTS_CONSTRUCT = /^<[A-Za-z/!?]/;
/** A comment's end: `-->` or `--!>` (the dashes after `<!--`). */
const COMMENT_END = /--!?>/g;
/**
 * The tail of a text run that may be an entity still being written: a
 * numeric one, or a name (the longest is 32 characters) not yet ended.
 */
const ENTITY_TAIL = /^&(?:#[0-9A-Za-z]*|[0-9A-Za-z]{0,33})$/;

enum AttributeState {
  BeforeName,
  InName,
  AfterName,
  BeforeValue,
  Unquoted,
  SelfClosing,
}

export class NetscapeScanner {
  /** The start of a construct (or text) that the previous chunk ended in. */
  private carry = '';
  /** Open elements, the innermost last. */
  private readonly stack: string[] = [];
  /** How many of each name are open: an end tag for a name not open is found without a search. */
  private readonly openCounts = new Map<string, number>();
  /** Inside `<title>`: everything up to `</title` is its text (RCDATA). */
  private inTitle = false;
  /** The attributes of the `<a>` just read (readOpenTag). */
  private anchor: MutableAnchorAttributes | undefined;

  constructor(private readonly records: NetscapeRecords) {}

  write(chunk: string): void {
    if (this.carry !== '' && !chunk.includes('>') && STARTS_CONSTRUCT.test(this.carry)) {
      // A tag or comment still unfinished: read it once its `>` may be there.
      this.keep(this.carry + chunk, 0);
      return;
    }
    const text = this.carry === '' ? chunk : this.carry + chunk;
    this.carry = '';
    this.scan(text, false);
  }

  /** The end of the file: what was carried is read as final, and what is open is closed. */
  end(): void {
    const text = this.carry;
    this.carry = '';
    if (text !== '') this.scan(text, true);
    while (this.stack.length > 0) this.pop(true);
    this.records.end();
  }

  private scan(text: string, atEnd: boolean): void {
    const length = text.length;
    /** The start of the current text run. */
    let start = 0;
    /** Where to look for the next `<`. */
    let from = 0;
    for (;;) {
      if (this.inTitle) {
        const end = this.titleEnd(text, start, atEnd);
        if (end === -1) return;
        start = from = end;
        continue;
      }
      const lt = text.indexOf('<', from);
      if (lt === -1 || (lt + 1 === length && atEnd)) {
        this.textRun(text, start, length, atEnd);
        return;
      }
      if (lt + 1 === length) {
        // What the `<` starts is in the next chunk.
        this.emitText(text, start, lt);
        this.keep(text, lt);
        return;
      }
      const c = text.charCodeAt(lt + 1);
      let end: number;
      if (isAsciiAlpha(c)) {
        end = this.readOpenTag(text, lt);
        if (end !== -1) {
          this.emitText(text, start, lt);
          this.openElement(this.tagName(text, lt + 1), this.anchor);
          if (this.inTitle) {
            start = from = end;
            continue;
          }
        }
      } else if (c === SLASH) {
        end = this.closeTag(text, lt, start);
      } else if (c === BANG) {
        end = markupDeclarationEnd(text, lt, atEnd);
        if (end !== -1) this.emitText(text, start, lt);
      } else if (c === QUESTION) {
        // A bogus comment up to the next `>` (or the end of the file).
        const gt = text.indexOf('>', lt + 2);
        end = gt !== -1 ? gt + 1 : atEnd ? length : -1;
        if (end !== -1) this.emitText(text, start, lt);
      } else {
        from = lt + 1; // a `<` that starts nothing is text
        continue;
      }
      if (end === -1) {
        if (atEnd) throw new UnsupportedMarkup('a tag cut by the end of the file');
        this.emitText(text, start, lt);
        this.keep(text, lt);
        return;
      }
      start = from = end;
    }
  }

  /** The text from `start` to the end of the chunk, less a possible unfinished entity. */
  private textRun(text: string, start: number, end: number, atEnd: boolean): void {
    if (start >= end || !this.records.wantsText) return;
    if (!atEnd) {
      const amp = text.lastIndexOf('&', end - 1);
      if (amp >= start && ENTITY_TAIL.test(text.slice(amp, end))) {
        this.emitText(text, start, amp);
        this.keep(text, amp);
        return;
      }
    }
    this.emitText(text, start, end);
  }

  private emitText(text: string, start: number, end: number): void {
    if (start >= end || !this.records.wantsText) return;
    const raw = text.slice(start, end);
    this.records.text(raw.includes('&') ? decodeHTML(raw) : raw);
  }

  private keep(text: string, from: number): void {
    if (text.length - from > MAX_CARRY) throw new UnsupportedMarkup('a construct this long');
    this.carry = text.slice(from);
  }

  /** The lower-case name of the tag whose name starts at `at` (htmlparser2 reads `image` as `img`). */
  private tagName(text: string, at: number): string {
    let end = at + 1;
    while (end < text.length && !isEndOfTagSection(text.charCodeAt(end))) end++;
    const common = commonTagName(text, at, end - at);
    if (common !== undefined) return common;
    const name = text.slice(at, end).toLowerCase();
    return name === 'image' ? 'img' : name;
  }

  /**
   * Reads `<name attributes…>` starting at `lt` (htmlparser2's tokenizer
   * states from BeforeAttributeName on); returns where it ends, or -1 if the
   * chunk ends first. An `<a>`'s attributes are left in `this.anchor`.
   */
  private readOpenTag(text: string, lt: number): number {
    const length = text.length;
    let at = lt + 2;
    while (at < length && !isEndOfTagSection(text.charCodeAt(at))) at++;
    if (at >= length) return -1;
    const isAnchor = at === lt + 2 && (text.charCodeAt(lt + 1) | 0x20) === 0x61;
    const attribs: MutableAnchorAttributes | undefined = isAnchor ? {} : undefined;
    this.anchor = attribs;
    let state = AttributeState.BeforeName;
    let nameStart = 0;
    /** The current attribute's name if a record reads it and has no value for it yet. */
    let wanted: keyof AnchorAttributes | undefined;
    let valueStart = 0;
    while (at < length) {
      const c = text.charCodeAt(at);
      switch (state) {
        case AttributeState.BeforeName:
          if (c === GT) return at + 1;
          if (c === SLASH) state = AttributeState.SelfClosing;
          else if (!isWhitespace(c)) {
            state = AttributeState.InName;
            nameStart = at;
          }
          at++;
          break;
        case AttributeState.SelfClosing:
          // `/>` is ignored on HTML elements: the tag just ends.
          if (c === GT) return at + 1;
          if (isWhitespace(c)) at++;
          else state = AttributeState.BeforeName;
          break;
        case AttributeState.InName:
          if (c === EQUALS || isEndOfTagSection(c)) {
            wanted = attribs && anchorAttribute(text, nameStart, at);
            // The first of two attributes of one name wins.
            if (wanted !== undefined && attribs![wanted] !== undefined) wanted = undefined;
            state = AttributeState.AfterName;
          } else at++;
          break;
        case AttributeState.AfterName:
          if (c === EQUALS) {
            state = AttributeState.BeforeValue;
            at++;
          } else if (c === SLASH || c === GT) {
            if (wanted !== undefined) attribs![wanted] = '';
            state = AttributeState.BeforeName;
          } else if (isWhitespace(c)) at++;
          else {
            if (wanted !== undefined) attribs![wanted] = '';
            state = AttributeState.InName;
            nameStart = at++;
          }
          break;
        case AttributeState.BeforeValue:
          if (c === DOUBLE_QUOTE || c === SINGLE_QUOTE) {
            const close = text.indexOf(c === DOUBLE_QUOTE ? '"' : "'", at + 1);
            if (close === -1) return -1;
            if (wanted !== undefined) attribs![wanted] = attributeValue(text, at + 1, close);
            at = close + 1;
            state = AttributeState.BeforeName;
          } else if (isWhitespace(c)) at++;
          else {
            valueStart = at;
            state = AttributeState.Unquoted;
          }
          break;
        case AttributeState.Unquoted:
          if (isWhitespace(c) || c === GT) {
            if (wanted !== undefined) attribs![wanted] = attributeValue(text, valueStart, at);
            state = AttributeState.BeforeName;
          } else at++;
          break;
      }
    }
    return -1;
  }

  /** `</…`: returns where it ends, or -1 if the chunk ends first. */
  private closeTag(text: string, lt: number, textStart: number): number {
    const length = text.length;
    if (lt + 2 >= length) return -1;
    const c = text.charCodeAt(lt + 2);
    if (c === GT) {
      // `</>` is nothing at all.
      this.emitText(text, textStart, lt);
      return lt + 3;
    }
    if (!isAsciiAlpha(c)) {
      // A bogus comment up to the next `>`.
      const gt = text.indexOf('>', lt + 2);
      if (gt !== -1) this.emitText(text, textStart, lt);
      return gt === -1 ? -1 : gt + 1;
    }
    let at = lt + 3;
    while (at < length && !isEndOfTagSection(text.charCodeAt(at))) at++;
    if (at >= length) return -1;
    const gt = text.indexOf('>', at);
    if (gt === -1) return -1;
    this.emitText(text, textStart, lt);
    this.closeElement(this.tagName(text, lt + 2));
    return gt + 1;
  }

  /**
   * Inside `<title>`: emits its text and closes it; returns where the text
   * after it starts, or -1 when the rest of the chunk was kept or read.
   */
  private titleEnd(text: string, start: number, atEnd: boolean): number {
    TITLE_END.lastIndex = start;
    const match = TITLE_END.exec(text);
    const lt = match ? match.index : -1;
    const content = lt === -1 ? text.slice(start) : text.slice(start, lt);
    // htmlparser2 leaves an `&` undecoded right after a partial `</title` (from
    // a lone `<` to `</titl`, case folded): any title with both is left to it.
    if (hasTitleEndLookalike(content) || (content.includes('<') && content.includes('&'))) {
      throw new UnsupportedMarkup('this title');
    }
    if (lt === -1) {
      if (!atEnd) {
        this.keep(text, start);
        return -1;
      }
      // htmlparser2 reads the rest of the file as the title's text.
      this.emitText(text, start, text.length);
      return -1;
    }
    const gt = text.indexOf('>', lt + 7);
    if (gt === -1) {
      if (atEnd) throw new UnsupportedMarkup('a tag cut by the end of the file');
      this.keep(text, start);
      return -1;
    }
    this.emitText(text, start, lt);
    this.inTitle = false;
    this.closeElement('title');
    return gt + 1;
  }

  private openElement(name: string, attribs: AnchorAttributes | undefined): void {
    const stack = this.stack;
    if (UNSUPPORTED_ELEMENTS.has(name)) throw new UnsupportedMarkup(`<${name}>`);
    if (name === 'form' && this.isOpen('form')) throw new UnsupportedMarkup('a second <form>');
    const closes = OPEN_IMPLIES_CLOSE.get(name);
    if (closes) {
      while (stack.length > 0 && closes.has(stack[stack.length - 1]!)) this.pop(true);
    }
    const isVoid = VOID_ELEMENTS.has(name);
    if (!isVoid) {
      stack.push(name);
      this.openCounts.set(name, (this.openCounts.get(name) ?? 0) + 1);
    }
    this.records.open(name, attribs);
    if (isVoid) this.records.close(name, true);
    if (name === 'title') this.inTitle = true;
  }

  private closeElement(name: string): void {
    const stack = this.stack;
    if (!VOID_ELEMENTS.has(name)) {
      if (this.isOpen(name)) {
        // Everything above it is closed with it: the search costs what it pops.
        const at = stack.lastIndexOf(name);
        while (stack.length - 1 > at) this.pop(true);
        this.pop(false);
      } else if (name === 'p') {
        // `</p>` with no `<p>` open is an empty paragraph.
        this.openElement('p', undefined);
        this.pop(false);
      }
    } else if (name === 'br') {
      // `</br>` is a line break.
      this.records.open('br', undefined);
      this.records.close('br', false);
    }
  }

  private pop(implied: boolean): void {
    const name = this.stack.pop()!;
    this.openCounts.set(name, this.openCounts.get(name)! - 1);
    this.records.close(name, implied);
  }

  private isOpen(name: string): boolean {
    return (this.openCounts.get(name) ?? 0) > 0;
  }
}

/**
 * `<!…` at `lt`: a comment (`<!--` to `-->` or `--!>`), CDATA (a comment in
 * HTML), or a declaration or bogus comment to the next `>`. Returns where it
 * ends, or -1 if the chunk ends first. Unfinished at the end of the file, it
 * runs to the end (htmlparser2 makes it a comment).
 */
function markupDeclarationEnd(text: string, lt: number, atEnd: boolean): number {
  const length = text.length;
  if (lt + 9 > length && !atEnd) return -1; // not yet known whether `<!--` or `<![CDATA[`
  let end: number;
  if (text.startsWith('--', lt + 2)) {
    const start = lt + 4;
    // `<!-->` and `<!--->` are empty comments.
    if (text.charCodeAt(start) === GT) return start + 1;
    if (text.charCodeAt(start) === 0x2d && text.charCodeAt(start + 1) === GT) return start + 2;
    COMMENT_END.lastIndex = start;
    const match = COMMENT_END.exec(text);
    end = match ? match.index + match[0].length : -1;
  } else if (text.startsWith('[CDATA[', lt + 2)) {
    const close = text.indexOf(']]>', lt + 9);
    end = close === -1 ? -1 : close + 3;
  } else {
    const gt = text.indexOf('>', lt + 2);
    end = gt === -1 ? -1 : gt + 1;
  }
  return end === -1 && atEnd ? length : end;
}

function attributeValue(text: string, from: number, to: number): string {
  const raw = text.slice(from, to);
  return raw.includes('&') ? decodeHTMLAttribute(raw) : raw;
}

/** Which attribute a record reads is named from `start` to `end`, if any (no string is made). */
function anchorAttribute(
  text: string,
  start: number,
  end: number,
): keyof AnchorAttributes | undefined {
  for (const name of ANCHOR_ATTRIBUTES_BY_LENGTH[end - start] ?? []) {
    if (equalsLowerCase(text, start, name)) return name;
  }
  return undefined;
}

const ANCHOR_ATTRIBUTES_BY_LENGTH: Array<Array<keyof AnchorAttributes>> = [];
for (const name of ANCHOR_ATTRIBUTES) {
  const sameLength = ANCHOR_ATTRIBUTES_BY_LENGTH[name.length] ?? [];
  sameLength.push(name);
  ANCHOR_ATTRIBUTES_BY_LENGTH[name.length] = sameLength;
}

/**
 * Whether the text at `start` is `name` (lower case) once lower-cased.
 * ASCII folding is all toLowerCase does here: the one other character that
 * lower-cases to ASCII, the Kelvin sign, becomes a k, and no name has a k.
 */
function equalsLowerCase(text: string, start: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = text.charCodeAt(start + i);
    const n = name.charCodeAt(i);
    if (c !== n && !(c >= 0x41 && c <= 0x5a && c + 0x20 === n)) return false;
  }
  return true;
}

/** The tags of bookmark files, without making a string for each. */
const COMMON_TAG_NAMES = ['a', 'p', 'dt', 'dd', 'dl', 'br', 'hr', 'li', 'ul', 'ol', 'h1', 'h3'];

function commonTagName(text: string, start: number, length: number): string | undefined {
  if (length > 2) return undefined;
  for (const name of COMMON_TAG_NAMES) {
    if (name.length === length && equalsLowerCase(text, start, name)) return name;
  }
  return undefined;
}
