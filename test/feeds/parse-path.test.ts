/**
 * The one parse path (feedsmith through formats.ts, then the processor) on
 * awkward feeds: entities, CDATA, namespaces, xml:base, case, line ends,
 * media, xhtml. These were the equivalence tests of the two paths issue 16
 * removed; they now say what the one path gives.
 */
import test from 'ava';
import { FeedParseError, parseFeedDocument } from '../../src/feeds/parser';
import { processFeed } from '../../src/feeds/processor';
import { fixture } from '../fetcher/fixture-server';
import { TRICKY_FEEDS } from './xml-corpus';

const stored = (xml: string) =>
  processFeed(parseFeedDocument(xml), {
    maxItems: 100,
    feedUrl: 'https://feeds.example/feed',
    now: new Date('2025-01-01T00:00:00Z'),
  });

/** The bench's fixture feed (bench/feeds/fixture-server.ts), a few items long. */
function benchFeed(n: number, items: number): string {
  const entries = Array.from(
    { length: items },
    (_, i) => `<item><title>Feed ${n}, post ${i}</title>
<link>https://site-${n}.example/posts/${i}</link><guid isPermaLink="false">site-${n}-post-${i}</guid>
<pubDate>${new Date(Date.UTC(2026, 10, 25) - i * 3_600_000).toUTCString()}</pubDate>
<description>&lt;p&gt;Post ${i} of &lt;a href="https://site-${n}.example/"&gt;feed ${n}&lt;/a&gt;.&lt;/p&gt;</description></item>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Bench feed ${n}</title><link>https://site-${n}.example/</link>
<description>Feed ${n}</description>${entries.join('\n')}</channel></rss>`;
}

test('RSS: entities decoded once, CDATA as is, relative links resolved, namespaced content', (t) => {
  const feed = stored(TRICKY_FEEDS['rss entities and CDATA']!);
  t.is(feed.title, 'AT&T & Co é ©');
  t.is(feed.siteUrl, 'https://e.example/');
  const [second, first] = feed.items;
  t.deepEqual(
    [first!.guid, first!.title, first!.link, first!.summary],
    ['https://e.example/p/1', 'Cdata title', 'https://feeds.example/relative/1', 'Desc & more'],
  );
  t.is(
    first!.description,
    'Full <a href="https://feeds.example/x" rel="nofollow noopener noreferrer">x</a>',
  );
  t.is(first!.date?.toISOString(), '2024-01-01T12:00:00.000Z');
  t.deepEqual([second!.guid, second!.title], ['g2', 'Second & numeric']);
  t.is(feed.metadata.language, 'en-GB');
  t.is(feed.metadata.url, 'https://e.example/', 'the site URL, for OPML export and pages');
});

test('upper-case tags, CRLF line ends and time-zone names; an item with nothing in it is skipped', (t) => {
  const feed = stored(TRICKY_FEEDS['mixed case, line ends, attributes']!);
  t.is(feed.title, 'Line ends here');
  t.deepEqual(
    feed.items.map((i) => [i.guid, i.title, i.link, i.summary, i.date?.toISOString()]),
    [['U', 'Upper', 'https://c.example/u', 'padded', '2024-01-07T15:07:07.000Z']],
  );
});

test('RSS 1.0: rdf:about ids, dc:date, dc:language', (t) => {
  const parsed = parseFeedDocument(TRICKY_FEEDS['rss 1.0 rdf']!);
  t.is(parsed.format, 'rdf');
  t.is(parsed.language, 'fr');
  const feed = stored(TRICKY_FEEDS['rss 1.0 rdf']!);
  t.deepEqual(
    feed.items.map((i) => [i.guid, i.link, i.date?.toISOString()]),
    [
      ['https://r.example/a', 'https://r.example/a', '2024-03-01T13:30:00.000Z'],
      ['https://r.example/b', 'https://r.example/b', undefined],
    ],
  );
});

test('Atom: xml:base for links and content, HTML titles as text, type="text" content escaped', (t) => {
  const feed = stored(TRICKY_FEEDS['atom with xml:base and authors']!);
  t.is(feed.title, 'Atom & base');
  t.is(feed.siteUrl, 'https://a.example/blog/');
  const [hello, plain] = feed.items;
  t.deepEqual(
    [hello!.guid, hello!.title, hello!.link, hello!.summary],
    ['urn:uuid:1', 'Hello Atom', 'https://a.example/blog/posts/hello', 'Sum'],
  );
  t.is(
    hello!.description,
    '<p>Body <a href="https://a.example/blog/posts/rel" rel="nofollow noopener noreferrer">r</a></p>',
  );
  t.is(hello!.date?.toISOString(), '2024-05-01T00:00:00.000Z', 'published before updated');
  t.is(plain!.description, 'Just text &amp; more');
  t.is(plain!.date, null, 'an unreadable date is null');
});

test('Atom xhtml content: the inner XHTML, sanitised (one path, no fallback)', (t) => {
  const item = stored(TRICKY_FEEDS['atom xhtml content']!).items[0]!;
  t.is(item.description, '<p>Some <b>bold</b> &amp; text</p>');
  t.is(item.summary, 'Some bold & text');
});

test('media and iTunes extensions parse; stray ampersands and unknown entities are tolerated', (t) => {
  const pod = stored(TRICKY_FEEDS['rss with media and itunes']!);
  t.is(pod.items[0]!.guid, 'ep1');
  t.truthy(pod.items[0]!.raw.enclosures, 'the raw item keeps what the library read');
  const stray = stored(TRICKY_FEEDS['processing instruction and stray ampersands']!);
  t.is(stray.title, 'Fish & Chips &unknown; &#xZZ;');
  t.deepEqual([stray.items[0]!.title, stray.items[0]!.link], ['Q&A', 'https://q.example/?a=1&b=2']);
});

test('hostile and broken documents are parse errors', (t) => {
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
  t.throws(() => parseFeedDocument('{"version": "https://jsonfeed.org/version/1.1"}'), {
    instanceOf: FeedParseError,
  });
});

test('a huge feed: 5 000 items parse in well under seconds, none lost', (t) => {
  // The previous library grew with the square of the item count (18 s for
  // 5 000 items); feedsmith takes about half a second on an idle machine.
  // The limit is generous so that a loaded machine does not fail the test.
  const xml = benchFeed(1, 5000);
  const started = performance.now();
  const parsed = parseFeedDocument(xml);
  const ms = performance.now() - started;
  t.is(parsed.items.length, 5000);
  t.is(parsed.items[4999]!.id, 'site-1-post-4999');
  t.true(ms < 10_000, `${ms} ms`);
});

test('deep nesting does not overflow the stack', (t) => {
  const depth = 20_000;
  const xml = `<rss version="2.0"><channel><title>Deep</title><item><guid>d</guid><description>${'<b>'.repeat(depth)}x${'</b>'.repeat(depth)}</description></item></channel></rss>`;
  try {
    const feed = stored(xml);
    t.is(feed.items[0]!.guid, 'd');
  } catch (error) {
    t.true(error instanceof FeedParseError, String(error));
  }
});
