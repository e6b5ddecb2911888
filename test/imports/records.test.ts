/**
 * One record checked on its own: identity (hash and the in-file duplicate
 * key), tags read as the bookmarks domain reads them, text cleaned.
 */
import test from 'ava';
import { parseTags } from '../../src/bookmarks/tags';
import { urlHash } from '../../src/bookmarks/url';
import { checkRecord, type ImportRecord, type RawRecord } from '../../src/imports/records';

function raw(fields: Partial<RawRecord>): RawRecord {
  return {
    index: 0,
    url: 'https://example.com/',
    title: '',
    description: '',
    tags: [],
    createdAt: undefined,
    updatedAt: undefined,
    private: undefined,
    feedUrl: undefined,
    ...fields,
  };
}

function ok(fields: Partial<RawRecord>, extraTags: string[] = []): ImportRecord {
  const checked = checkRecord(raw(fields), { extraTags, forcePrivate: false });
  if (!checked.ok) throw new Error(checked.failure.error);
  return checked.record;
}

test('the hash is the bookmarks domain’s; the duplicate key is 128 bits of it, a byte a character', (t) => {
  const urls = [
    'https://Example.com/a/?utm_source=x&b=2&a=1#f',
    'https://example.com/a?a=1&b=2#f',
    'https://example.com/b',
    'http://example.com/b',
  ];
  const records = urls.map((url) => ok({ url }));
  for (const [i, record] of records.entries()) t.is(record.hash, urlHash(urls[i]!));
  t.is(records[0]!.key, records[1]!.key, 'two spellings of one page');
  t.not(records[1]!.key, records[2]!.key);
  t.not(records[2]!.key, records[3]!.key);
  t.is(records[2]!.key, Buffer.from(records[2]!.hash.slice(0, 32), 'hex').toString('latin1'));
  t.is(
    records[0]!.url,
    'https://example.com/a/?utm_source=x&b=2&a=1#f',
    'stored as given (parsed)',
  );
});

test('tags: as parseTags reads them, extra tags added; NUL removed before duplicates go', (t) => {
  const cases: Array<[string[], string[]]> = [
    [['News', 'tech,Go', ' news '], []],
    [
      ['a b', 'c'],
      ['C', 'd'],
    ],
    [[''], []],
    [['x'.repeat(100)], []],
    [Array.from({ length: 150 }, (_, i) => `t${i}`), ['extra']],
    [['Ünïcode', 'ÜNÏCODE', 'tab\there'], []],
  ];
  for (const [tags, extra] of cases) {
    t.deepEqual(ok({ tags }, extra).tags, parseTags([...tags, ...extra]), JSON.stringify(tags));
  }
  t.deepEqual(ok({ tags: ['a\u0000', 'a', '\u0000'] }).tags, ['a']);
});

test('titles are one line, descriptions trimmed, both without NUL', (t) => {
  const record = ok({
    title: '  A\n  title\twith   space\u0000 ',
    description: '\n  Notes\u0000 here \n',
  });
  t.is(record.title, 'A title with space');
  t.is(record.description, 'Notes here');
});

test('a URL or feed URL too long once percent-encoded: a record failure, or no feed', (t) => {
  const options = { extraTags: [], forcePrivate: false };
  const url = `https://long.example/${'é'.repeat(5000)}`;
  const checked = checkRecord(raw({ url }), options);
  t.false(checked.ok);
  if (!checked.ok) t.regex(checked.failure.error, /at most 10240 characters once encoded/);
  const feed = checkRecord(raw({ feedUrl: `https://long.example/${'é'.repeat(500)}` }), options);
  t.true(feed.ok && feed.record.feedUrl === null);
});
