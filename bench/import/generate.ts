/**
 * A Netscape bookmark file like a browser or Pinboard export: `count`
 * bookmarks on many hosts, 3 tags each out of a vocabulary, dates spread
 * over years, a description on every other one. Written as a stream.
 */

import { once } from 'node:events';
import fs from 'node:fs';

const TAG_VOCABULARY = 600;
const HOSTS = 2000;
const WORDS =
  'alpha beta gamma delta notes guide review tutorial design systems data web rust go node postgres cloud music travel recipes'.split(
    ' ',
  );

export async function generateNetscapeFile(file: string, count: number): Promise<number> {
  const out = fs.createWriteStream(file);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(
    '<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">\n<TITLE>Bookmarks</TITLE>\n<H1>Bookmarks</H1>\n<DL><p>\n',
  );
  const start = 1_400_000_000;
  let chunk = '';
  for (let i = 0; i < count; i++) {
    const host = `site${i % HOSTS}.example.com`;
    const words = `${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} ${WORDS[(i * 13) % WORDS.length]}`;
    const tags = [i % TAG_VOCABULARY, (i * 7 + 1) % TAG_VOCABULARY, (i * 13 + 2) % TAG_VOCABULARY]
      .map((n) => `tag${n}`)
      .join(',');
    const added = start + i * 3000;
    chunk += `<DT><A HREF="https://${host}/articles/${i}-${words.replace(/ /g, '-')}?ref=feed&amp;id=${i}" ADD_DATE="${added}" LAST_MODIFIED="${added + 60}" PRIVATE="${i % 10 === 0 ? 1 : 0}" TAGS="${tags}">${words} — article ${i}</A>\n`;
    if (i % 2 === 0) chunk += `<DD>Notes about ${words} &amp; more, number ${i}.\n`;
    if (chunk.length > 64 * 1024) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(`${chunk}</DL><p>\n`);
  out.end();
  await once(out, 'finish');
  return fs.statSync(file).size;
}
