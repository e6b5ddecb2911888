/**
 * The Netscape reader (htmlparser2 and the record rules): what a record is in
 * hand-made markup, the same records however the file is cut into chunks, a
 * file cut short, and markup no bookmark export holds.
 */
import fs from 'node:fs';
import test from 'ava';
import { ImportFileError } from '../../src/imports/detect';
import {
  type HtmlSummary,
  MAX_OPEN_ELEMENTS,
  readNetscape,
} from '../../src/imports/parsers/netscape';
import type { RawRecord } from '../../src/imports/records';
import { FIXTURES } from './support';

/** The text in chunks of the given sizes (cycled). */
async function* chunked(text: string, sizes: readonly number[]): AsyncGenerator<string> {
  let at = 0;
  for (let i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length]!;
    yield text.slice(at, at + size);
    at += size;
  }
}

async function read(text: string, sizes: readonly number[] = [65_536]) {
  const summary: HtmlSummary = { truncated: false };
  const records: RawRecord[] = [];
  for await (const group of readNetscape(chunked(text, sizes), summary)) records.push(...group);
  return { records, truncated: summary.truncated };
}

const brief = (records: RawRecord[]) =>
  records.map((r) => [r.url, r.title, r.description, r.tags.join(',')]);

test('exports from browsers, Pinboard, linkding, Shaarli and Pocket: the same records in chunks of any size', async (t) => {
  const names = fs.readdirSync(FIXTURES).filter((name) => name.endsWith('.html'));
  t.true(names.length >= 6);
  for (const name of names) {
    const text = fs.readFileSync(`${FIXTURES}/${name}`, 'utf8');
    const whole = await read(text);
    t.true(whole.records.length > 0, name);
    t.false(whole.truncated, name);
    for (const sizes of [[1], [7, 3, 64, 1, 250]])
      t.deepEqual(await read(text, sizes), whole, name);
  }
});

test('entities, attribute spellings, comments, implied closes, scripts', async (t) => {
  const entities = await read(
    '<DL><DT><A HREF="https://e.example/?a=1&amp;b=2&ampc=3" TAGS="x&#44;y,&#x7a;">Caf&eacute; &amp &lt;b&gt; &#128512; &notin; &noti;</A><DD>one &amp; two&copy3 &unknown;</DL>',
    [5, 1],
  );
  t.deepEqual(brief(entities.records), [
    ['https://e.example/?a=1&b=2&ampc=3', 'Café & <b> 😀 ∉ ¬i;', 'one & two©3 &unknown;', 'x,y,z'],
  ]);
  const attributes = await read(
    `<dl><dt><a href=https://u.example/x ADD_DATE='1600000000' tags = "a b" private=1>t</a><dt><A\fHREF="https://v.example/"/TAGS=c\rLAST_MODIFIED=1600000001>u</A><dt><a href="https://w.example/" href="https://ignored.example/" tags=a tags=b>first wins</a></dl>`,
  );
  t.deepEqual(brief(attributes.records), [
    ['https://u.example/x', 't', '', 'a,b'],
    ['https://v.example/', 'u', '', 'c'],
    ['https://w.example/', 'first wins', '', 'a'],
  ]);
  t.is(attributes.records[0]!.createdAt?.getTime(), 1_600_000_000_000);
  t.true(attributes.records[0]!.private);
  t.is(attributes.records[1]!.updatedAt?.getTime(), 1_600_000_001_000);
  const markup = await read(
    '<!-- <A HREF="https://no.example/"> --><DL><DT><A HREF="https://c.example/">c<!-- in -->d</A><script>x = "<A HREF=\'https://no.example/\'>";</script><dt><h3>Folder</h3><dl><p><dt><a href="https://i.example/1">one<dt><a href="https://i.example/2">two</dt>after<dd>d<br>e</p>f<li>x</li></dl><ul><li><a href="https://p.example/" time_added="1600000000" tags="a,b">p</a></ul></DL>',
  );
  t.deepEqual(brief(markup.records), [
    ['https://c.example/', 'cd', '', ''],
    ['https://i.example/1', 'one', '', ''],
    ['https://i.example/2', 'two', 'd\nef', ''],
    ['https://p.example/', 'p', '', 'a,b'],
  ]);
  t.is(markup.records[3]!.createdAt?.getTime(), 1_600_000_000_000);
  t.false(markup.truncated);
});

test('a file cut short: the records before the cut, and the verdict', async (t) => {
  const open = await read('<DL><p><DT><H3>F</H3><DL><p><DT><A HREF="https://o.example/">o</A>');
  t.deepEqual(brief(open.records), [['https://o.example/', 'o', '', '']]);
  t.true(open.truncated);
  const inTag = await read(
    '<DL><DT><A HREF="https://a.example/">a</A><DT><A HREF="https://b.examp',
  );
  t.deepEqual(brief(inTag.records), [['https://a.example/', 'a', '', '']]);
  // htmlparser2 12.0.0 alone would add about 10 KB of earlier chunks to the last description.
  let text = '<DL><p>\n';
  for (let i = 0; i < 600; i++) {
    text += `<DT><A HREF="https://cut.example/${i}">${'x'.repeat(100)}</A>\n<DD>note ${i}\n`;
  }
  text += '<DT><A HREF="https://cut.example/last">last</A>\n<DD>last note</DD ';
  for (const sizes of [[65_536], [4096, 3]]) {
    const { records, truncated } = await read(text, sizes);
    t.is(records.length, 601);
    t.deepEqual(brief(records.slice(-1)), [['https://cut.example/last', 'last', 'last note', '']]);
    t.true(truncated);
  }
});

test('markup nested deeper than any bookmark file fails clearly; end tags of elements not open are harmless', async (t) => {
  const deep = `<DL><DT><A HREF="https://deep.example/">deep</A>${'<b>'.repeat(MAX_OPEN_ELEMENTS + 1)}`;
  await t.throwsAsync(read(deep, [4096]), {
    instanceOf: ImportFileError,
    message: /nests HTML elements over 10,000 deep/,
  });
  const stray = `<DL>${'<b>'.repeat(1000)}${'</i>'.repeat(100_000)}<DT><A HREF="https://after.example/">after</A></DL>`;
  t.deepEqual(brief((await read(stray)).records), [['https://after.example/', 'after', '', '']]);
});
