/**
 * The fast XML tree must give @rowanmanning/feed-parser's feed classes what
 * its own fast-xml-parser tree gives them: the same toJSON() for every feed
 * here, the same refusals for the hostile ones.
 */
import { parseFeed } from '@rowanmanning/feed-parser';
import test from 'ava';
import { FeedParseError, neutraliseDoctype, parseFeedDocument } from '../../src/feeds/parser';
import { buildXmlTree, feedFromTree, NeedsFullParser } from '../../src/feeds/xml-tree';
import { fixture } from '../fetcher/fixture-server';
import { TRICKY_FEEDS } from './xml-corpus';

/** What the library alone makes of a document (as parser.ts did before). */
function libraryJson(xml: string): unknown {
  return JSON.parse(JSON.stringify(parseFeed(xml).toJSON()));
}

function fastJson(xml: string): unknown {
  return JSON.parse(JSON.stringify(feedFromTree(buildXmlTree(xml).document).toJSON()));
}

/** The bench's fixture feed (bench/feeds/fixture-server.ts), a few items long. */
function benchFeed(n: number, items: number): string {
  const escapeXml = (text: string) =>
    text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const entries = Array.from(
    { length: items },
    (_, i) => `<item><title>${escapeXml(`Feed ${n}, post ${i}`)}</title>
<link>https://site-${n}.example/posts/${i}</link><guid isPermaLink="false">site-${n}-post-${i}</guid>
<pubDate>${new Date(Date.UTC(2026, 10, 25) - i * 3_600_000).toUTCString()}</pubDate>
<description>${escapeXml(`<p>Post ${i} of <a href="https://site-${n}.example/">feed ${n}</a>.</p>`)}</description></item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bench feed ${n}</title><link>https://site-${n}.example/</link>
<description>Feed ${n}</description><lastBuildDate>Wed, 25 Nov 2026 10:00:00 GMT</lastBuildDate>
${entries.join('\n')}</channel></rss>`;
}

const documents: Record<string, string> = {
  ...TRICKY_FEEDS,
  'bench feed': benchFeed(7, 5),
  'rss2.xml': fixture('rss2.xml').toString('utf8'),
  'rss1.rdf': fixture('rss1.rdf').toString('utf8'),
  'atom.xml': fixture('atom.xml').toString('utf8'),
  'no-ids.xml': fixture('no-ids.xml').toString('utf8'),
  'rss091-doctype.xml': neutraliseDoctype(fixture('rss091-doctype.xml').toString('latin1')),
};

for (const [name, xml] of Object.entries(documents)) {
  if (name.includes('xhtml')) continue;
  test(`same toJSON as the library: ${name}`, (t) => {
    t.deepEqual(fastJson(xml), libraryJson(xml));
  });
}

test('Atom xhtml content: the tree defers to the library, and the result is the same', (t) => {
  const xml = TRICKY_FEEDS['atom xhtml content (library path)']!;
  t.throws(() => fastJson(xml), { instanceOf: NeedsFullParser });
  const parsed = parseFeedDocument(xml);
  t.is(parsed.items[0]!.content, '<p>Some <b>bold</b> & text</p>');
  const expected = libraryJson(xml) as { items: unknown[] };
  t.deepEqual(JSON.parse(JSON.stringify(parsed.items[0]!.raw)), expected.items[0]);
});

test('parseFeedDocument items and header come from the same values as before', (t) => {
  for (const name of ['rss entities and CDATA', 'atom with xml:base and authors', 'rss 1.0 rdf']) {
    const xml = TRICKY_FEEDS[name]!;
    const library = parseFeed(xml);
    const parsed = parseFeedDocument(xml);
    t.is(parsed.title, library.title, name);
    t.is(parsed.siteUrl, library.url, name);
    t.deepEqual(
      parsed.items.map((i) => [
        i.id,
        i.title,
        i.link,
        i.summary,
        i.content,
        i.published,
        i.updated,
      ]),
      library.items.map((i) => [
        i.id,
        i.title,
        i.url,
        i.description,
        i.content,
        i.published,
        i.updated,
      ]),
      name,
    );
  }
});

test('hostile documents: the same refusals as before', (t) => {
  for (const name of ['xxe.xml', 'billion-laughs.xml', 'internal-entity.xml']) {
    t.throws(() => parseFeedDocument(fixture(name)), {
      instanceOf: FeedParseError,
      message: /declares XML entities/,
    });
  }
  t.throws(() => parseFeedDocument(fixture('malformed.xml')), { message: /never closed/ });
  for (const name of ['not-a-feed.html', 'opml.xml']) {
    t.throws(() => parseFeedDocument(fixture(name)), { instanceOf: FeedParseError });
  }
  t.throws(() => parseFeedDocument('<rss version="2.0"><channel><title>x</title></channel>'), {
    message: /never closed/,
  });
  t.throws(() => parseFeedDocument('<rss/><rss/>'), { message: /more than one root/ });
  t.throws(() => parseFeedDocument('<rss version="2.0"></rss>'), { message: /not a feed/ });
});

test('a huge feed: 5 000 items parse in seconds at worst, none lost', (t) => {
  // The library's own tree took 1.2 s for 500 items and grows with the square
  // of the count; this one takes well under a second on an idle machine. The
  // limit is generous so that a loaded machine does not fail the test.
  const xml = benchFeed(1, 5000);
  const started = performance.now();
  const parsed = parseFeedDocument(xml);
  const ms = performance.now() - started;
  t.is(parsed.items.length, 5000);
  t.is(parsed.items[4999]!.id, 'site-1-post-4999');
  t.true(ms < 10_000, `${ms} ms`);
});

test('deep nesting does not overflow the stack while building the tree', (t) => {
  const depth = 20_000;
  const xml = `<rss version="2.0"><channel><title>Deep</title><item><guid>d</guid><description>${'<b>'.repeat(depth)}x${'</b>'.repeat(depth)}</description></item></channel></rss>`;
  t.notThrows(() => buildXmlTree(xml));
  // Reading its text recurses (as the library's own tree does): a parse error at worst.
  try {
    parseFeedDocument(xml);
    t.pass();
  } catch (error) {
    t.true(error instanceof FeedParseError, String(error));
  }
});
