/**
 * The fast Netscape scanner against htmlparser2: for every document here, cut
 * into chunks of every size, both readers must give the same records (URL,
 * title, description, tags, dates, privacy, feed) and the same "cut short"
 * verdict. Browser exports must be read by the scanner itself; markup it does
 * not read must fall back to htmlparser2 without a record lost or repeated.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { ImportFileError } from '../../src/imports/detect';
import {
  type HtmlSummary,
  parseNetscape,
  readNetscape,
  readWithHtmlparser2,
} from '../../src/imports/parsers/netscape';
import { MAX_OPEN_ELEMENTS } from '../../src/imports/parsers/netscape-records';
import type { RawRecord } from '../../src/imports/records';
import { FIXTURES } from './support';

async function collect(groups: AsyncIterable<RawRecord[]>): Promise<RawRecord[]> {
  const all: RawRecord[] = [];
  for await (const group of groups) all.push(...group);
  return all;
}

/** The text in chunks of the given sizes (cycled). */
async function* chunked(text: string, sizes: readonly number[]): AsyncGenerator<string> {
  let at = 0;
  for (let i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield text.slice(at, at + size);
    at += size;
  }
}

interface Compared {
  readonly records: RawRecord[];
  readonly reader: HtmlSummary['reader'];
}

/** Reads `text` with both readers (the scanner in chunks of `sizes`) and checks they agree. */
async function compare(
  t: ExecutionContext,
  text: string,
  sizes: readonly number[],
  label: string,
): Promise<Compared> {
  const expected: HtmlSummary = { truncated: false };
  const want = await collect(readWithHtmlparser2(chunked(text, [65_536]), expected));
  const summary: HtmlSummary = { truncated: false };
  const got = await collect(readNetscape(() => chunked(text, sizes), summary));
  t.deepEqual(got, want, `${label} (chunks of ${sizes.join(',')}, read by ${summary.reader})`);
  t.is(summary.truncated, expected.truncated, `${label}: cut short?`);
  return { records: got, reader: summary.reader };
}

const CHUNKINGS: ReadonlyArray<readonly number[]> = [[65_536], [1], [7, 3, 64, 1, 250], [4096]];

test('browser, Pinboard, linkding, Shaarli and Pocket exports: the scanner reads them, as htmlparser2 does', async (t) => {
  const names = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.html'));
  t.true(names.length >= 6);
  for (const name of names) {
    const text = fs.readFileSync(path.join(FIXTURES, name), 'utf8');
    for (const sizes of CHUNKINGS) {
      const { records, reader } = await compare(t, text, sizes, name);
      t.is(reader, 'scanner', `${name} needs no fallback`);
      t.true(records.length > 0, name);
    }
  }
});

/** Markup that browsers' exports do not hold but hand-made files might. */
const CASES: Record<string, string> = {
  entities:
    '<DL><DT><A HREF="https://e.example/?a=1&amp;b=2&ampc=3&amp=4&lt" TAGS="x&#44;y,&#x7a;">Caf&eacute; &amp &lt;b&gt; &#128512; &#0; &#x110000; &notin; &noti; &AMP</A><DD>one &amp; two&copy3 &unknown; &#x80;</DL>',
  'attribute forms':
    '<dl><dt><a href=https://u.example/x/y ADD_DATE=\'1600000000\' tags = "a b" private>t</a><dt><A\fHREF="https://v.example/"/TAGS=c\rLAST_MODIFIED=1600000001 =odd x="1"y=2>u</A><dt><a href="https://w.example/" href="https://ignored.example/" tags=a tags=b>first wins</a></dl>',
  'no href, empty href, href without value':
    '<DL><DT><A NAME="x">anchor</A><DT><A HREF="">empty</A><DT><A HREF>bare</A><DT><A HREF="https://ok.example/">ok</A></DL>',
  'comments and declarations':
    '<!DOCTYPE NETSCAPE-Bookmark-file-1><!-- a <A HREF="https://no.example/"> -- --!> <?xml version="1.0"?><!x><!><!-><!-x><!--><!---><DL><DT><A HREF="https://c.example/">c<!-- in -- title --->d</A><![CDATA[<a href="https://cdata.example/">]]]></DL><!-- unterminated <a href="https://end.example/">',
  'stray < and end tags':
    '<DL><DT><A HREF="https://s.example/">1 < 2 <3 <& </ x> </> </3></A><DD>desc</p>more</br>line<br/>end</DL>',
  'title element':
    '<TITLE>Bookmarks <a href="https://in-title.example/">not a link</a></TITLE ><H1>Bookmarks &amp; more</H1><DL><DT><A HREF="https://t.example/">t<title>in &amp; title</title ></A></DL>',
  'title never closed': '<title>all of it <DL><DT><A HREF="https://never.example/">x</A></DL>',
  'implied closes':
    '<dl><dt><h3>Folder</h3><dl><p><dt><a href="https://i.example/1">one<dt><a href="https://i.example/2">two</dt>after<dd>d<li>x</li><dt><a href="https://i.example/3">three</dl></dl><table><tr><td><a href="https://i.example/4">four</a></table>',
  'lists left open (cut short)':
    '<DL><p><DT><H3>F</H3><DL><p><DT><A HREF="https://o.example/">o</A>',
  'pocket style':
    '<ul><li><a href="https://p.example/" time_added="1600000000" tags="a,b">p</a></li><li><a href="https://q.example/">q</a></ul>',
  'forms and images':
    '<form><dl><dt><a href="https://f.example/">f</a><image src=x><img src=y></form></dl>',
  'fallback: script':
    '<DL><DT><A HREF="https://a.example/">a</A><script>var x = "<A HREF=\'https://no.example/\'>";</script><DT><A HREF="https://b.example/">b</A></DL>',
  'fallback: svg':
    '<DL><DT><A HREF="https://a.example/">a</A><svg><a href="https://svg.example/"/>x</svg><DT><A HREF="https://b.example/">b</A></DL>',
  'fallback: a second form':
    '<form><DL><DT><A HREF="https://a.example/">a</A><form><DT><A HREF="https://b.example/">b</A></form></DL>',
  'fallback: cut inside a tag':
    '<DL><DT><A HREF="https://a.example/">a</A><DT><A HREF="https://b.examp',
  'fallback: entity in a title after <':
    '<title>a < &amp; b</title><DL><DT><A HREF="https://a.example/">a</A></DL>',
  'cut inside a comment':
    '<DL><DT><A HREF="https://a.example/">a</A><!-- <DT><A HREF="https://b.example/">',
  'cut after <': '<DL><DT><A HREF="https://a.example/">a <',
  'cut inside an entity': '<DL><DT><A HREF="https://a.example/">a &am',
};

test('hand-made markup: entities, attribute forms, comments, implied closes, fallbacks; any chunking', async (t) => {
  const readers = new Map<string, HtmlSummary['reader']>();
  for (const [label, text] of Object.entries(CASES)) {
    for (const sizes of CHUNKINGS) {
      const { reader } = await compare(t, text, sizes, label);
      readers.set(label, reader);
    }
  }
  for (const [label, reader] of readers) {
    t.is(reader, label.startsWith('fallback') ? 'htmlparser2' : 'scanner', label);
  }
});

test('a large export crosses chunk boundaries everywhere: same records, read by the scanner', async (t) => {
  const parts = ['<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<TITLE>Bookmarks</TITLE>\n<DL><p>\n'];
  for (let i = 0; i < 3000; i++) {
    const pad = 'x'.repeat(i % 97);
    parts.push(
      `<DT><A HREF="https://site${i % 50}.example.com/${pad}/${i}?a=1&amp;b=${i}" ADD_DATE="${1_500_000_000 + i}" TAGS="t${i % 7},u${i % 11}">Title ${i} &amp; ${pad}</A>\n`,
    );
    if (i % 3 === 0) parts.push(`<DD>Note ${i} &lt;${pad}&gt;\n`);
    if (i % 500 === 0) parts.push('<DT><H3>Folder</H3>\n<DL><p>\n');
    if (i % 500 === 499) parts.push('</DL><p>\n');
  }
  parts.push('</DL><p>\n');
  const text = parts.join('');
  t.true(text.length > 300_000);
  for (const sizes of [[65_536], [4093, 17, 9001], [1000]]) {
    const { records, reader } = await compare(t, text, sizes, 'large export');
    t.is(reader, 'scanner');
    t.is(records.length, 3000);
  }
});

/** A small seeded generator: the same documents on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const PIECES = [
  '<DT>',
  '<dt>',
  '<DD>',
  '<DL><p>',
  '</DL>',
  '</dl><p>',
  '<p>',
  '</p>',
  '<br>',
  '</br>',
  '<li>',
  '</li>',
  '<ul>',
  '</ul>',
  '<ol>',
  '<H3>F</H3>',
  '<h1>',
  '<hr>',
  '</A>',
  '</a >',
  '</ a>',
  '</>',
  '<A HREF="https://a.example/1">',
  '<a href=https://b.example/2 add_date=1600000000>',
  "<A HREF='https://c.example/3' TAGS='x,y' PRIVATE=1 LAST_MODIFIED=1600000100>",
  '<a href="https://d.example/?q=1&amp;r=2" feed_url="https://d.example/feed">',
  '<a name=x>',
  '<a href>',
  '<A HREF="https://e.example/" ICON="data:image/png;base64,AAAA">',
  'text ',
  'more text\n',
  '  spaced\t\r\n ',
  '&amp;',
  '&amp',
  '&ampx',
  '&lt',
  '&#65;',
  '&#x41',
  '&notin;',
  '&noti;',
  '&Aacute',
  '&Aacute;',
  '&amp;amp;',
  '&#0;',
  '&#x80;',
  '&#xD800;',
  '&#1114112;',
  '&#x1F600;',
  '&CounterClockwiseContourIntegral;',
  '&lt;&gt',
  '&',
  '<',
  '<3',
  '< ',
  '>',
  '"',
  "'",
  '=',
  '/',
  '<!-- c -->',
  '<!-->',
  '<!--->',
  '<!-- -- --!>',
  '<!DOCTYPE x>',
  '<?pi?>',
  '<![CDATA[ x ]]>',
  '<!x>',
  '<TITLE>T &amp; t</TITLE>',
  '<image>',
  '<table><tr><td>',
  '</td></tr></table>',
  '<div>',
  '</div>',
  '<b>',
  '</b>',
  '<A/HREF=x>',
  '<a href="x"/>',
  '<A\fHREF="https://f.example/"\fTAGS=z>',
  '<a href="https://g.example/" href="https://h.example/">',
  '<body>',
  '</body>',
  '</html>',
  '\u0000',
  'é€😀',
];

test('2 000 generated documents, cut anywhere: the readers agree on every one', async (t) => {
  const next = random(20261128);
  let byScanner = 0;
  for (let doc = 0; doc < 2000; doc++) {
    const count = 1 + Math.floor(next() * 40);
    let text = '';
    for (let i = 0; i < count; i++) text += PIECES[Math.floor(next() * PIECES.length)];
    if (next() < 0.02) text = `<script>${text}</script>${text}`;
    if (next() < 0.3) text = text.slice(0, Math.floor(next() * text.length));
    const sizes = [1 + Math.floor(next() * 40), 1 + Math.floor(next() * 200)];
    const { reader } = await compare(t, text, sizes, `document ${doc}: ${JSON.stringify(text)}`);
    if (reader === 'scanner') byScanner++;
  }
  // Fallbacks are for what the scanner does not read (here a tenth of the
  // documents have <script>, or end inside a tag): the rest is read by it.
  t.true(byScanner > 1500, `${byScanner} of 2000 read by the scanner`);
});

test('a file cut inside an end tag: the last record keeps its text, without markup from elsewhere in the file', async (t) => {
  // htmlparser2 12.0.0 alone would append about 10 KB of earlier chunks here.
  let text = '<DL><p>\n';
  for (let i = 0; i < 600; i++) {
    text += `<DT><A HREF="https://cut.example/${i}">${'x'.repeat(100)}</A>\n<DD>note ${i}\n`;
  }
  text += '<DT><A HREF="https://cut.example/last">last</A>\n<DD>last note</DD ';
  t.true(text.length > 65_536, 'more than one read chunk');
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'netscape-cut-')), 'cut.html');
  fs.writeFileSync(file, text);
  const summary: HtmlSummary = { truncated: false };
  const records = await collect(parseNetscape(file, 'utf-8', summary));
  t.is(summary.reader, 'htmlparser2', 'a tag cut by the end of the file');
  t.is(records.length, 601);
  t.is(records.at(-1)!.url, 'https://cut.example/last');
  t.is(records.at(-1)!.description, 'last note');
  t.true(summary.truncated);
  fs.rmSync(path.dirname(file), { recursive: true });
});

test('elements nested deeper than any bookmark file: a clear error from either reader', async (t) => {
  const deep = `<DL><DT><A HREF="https://deep.example/">deep</A>${'<b>'.repeat(MAX_OPEN_ELEMENTS + 1)}`;
  const message = /nests HTML elements over 10,000 deep/;
  await t.throwsAsync(collect(readNetscape(() => chunked(deep, [4096]), { truncated: false })), {
    instanceOf: ImportFileError,
    message,
  });
  await t.throwsAsync(collect(readWithHtmlparser2(chunked(deep, [4096]), { truncated: false })), {
    instanceOf: ImportFileError,
    message,
  });
});

test('a million end tags of elements not open, under deep nesting: read in one pass, nothing lost', async (t) => {
  // Each of them used to search the whole stack of open elements.
  const text = `<DL>${'<b>'.repeat(MAX_OPEN_ELEMENTS - 10)}${'</i>'.repeat(1_000_000)}<DT><A HREF="https://after.example/">after</A></DL>`;
  const summary: HtmlSummary = { truncated: false };
  const records = await collect(readNetscape(() => chunked(text, [65_536]), summary));
  t.is(summary.reader, 'scanner');
  t.deepEqual(
    records.map((record) => record.url),
    ['https://after.example/'],
  );
});
