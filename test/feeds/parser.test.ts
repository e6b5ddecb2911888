import test from 'ava';
import {
  decodeBody,
  FeedParseError,
  neutraliseDoctype,
  parseFeedDocument,
  structuralProblem,
} from '../../src/feeds/parser';
import { cleanJson, itemGuid, processFeed } from '../../src/feeds/processor';
import { sanitizeHtml, toPlainText } from '../../src/feeds/sanitize';
import { fixture } from '../fetcher/fixture-server';

const FEED_URL = 'https://feeds.example/feed';
const process = (name: string, maxItems = 100) =>
  processFeed(parseFeedDocument(fixture(name)), {
    maxItems,
    feedUrl: FEED_URL,
    now: new Date('2025-01-01T00:00:00Z'),
  });

test('RSS 2.0: title, items newest first, dates in UTC, ids as guids', (t) => {
  const parsed = parseFeedDocument(fixture('rss2.xml'), 'application/rss+xml');
  t.is(parsed.format, 'rss');
  const feed = process('rss2.xml');
  t.is(feed.title, 'Example & Co. Blog');
  t.deepEqual(
    feed.items.map((i) => [i.guid, i.title, i.date?.toISOString()]),
    [
      ['post-2', 'Second post', '2024-01-02T08:00:00.000Z'],
      ['post-1', 'First post', '2024-01-01T12:00:00.000Z'],
    ],
  );
  t.is(feed.newestItemDate?.toISOString(), '2024-01-02T08:00:00.000Z');
  t.is(feed.items[0]!.link, 'https://blog.example.com/posts/2');
  t.is(feed.items[0]!.summary, 'Summary of two');
});

test('RSS 1.0 (RDF): parsed, timezone offsets normalised to UTC', (t) => {
  t.is(parseFeedDocument(fixture('rss1.rdf')).format, 'rdf');
  const feed = process('rss1.rdf');
  t.is(feed.title, 'RDF Site');
  t.deepEqual(
    feed.items.map((i) => [i.title, i.link, i.date?.toISOString()]),
    [
      ['Item A', 'https://rdf.example.org/a', '2024-03-01T13:30:00.000Z'],
      ['Item B', 'https://rdf.example.org/b', '2024-02-01T08:30:00.000Z'],
    ],
  );
});

test('Atom 1.0: ids, HTML titles as text, content sanitised', (t) => {
  t.is(parseFeedDocument(fixture('atom.xml')).format, 'atom');
  const feed = process('atom.xml');
  t.is(feed.title, 'Atom Example');
  const [first, second] = feed.items;
  t.is(first!.guid, 'urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a');
  t.is(first!.title, 'Hello Atom');
  t.is(first!.date?.toISOString(), '2024-05-02T11:00:00.000Z');
  t.is(first!.description, '<p>Atom content</p>');
  t.is(second!.guid, 'tag:atom.example.net,2024:older');
});

test('JSON Feed 1.1: numeric ids, content_html or content_text, junk items skipped', (t) => {
  const parsed = parseFeedDocument(fixture('feed.json'), 'application/feed+json');
  t.is(parsed.format, 'json');
  const feed = process('feed.json');
  t.is(feed.title, 'JSON Example');
  t.is(feed.siteUrl, 'https://json.example.com/');
  t.deepEqual(
    feed.items.map((i) => [i.guid, i.title, i.date?.toISOString(), i.description]),
    [
      ['j-2', 'JSON two', '2024-06-02T08:00:00.000Z', '<p>Two</p>'],
      ['1', 'JSON one', '2024-06-01T10:00:00.000Z', 'One'],
    ],
  );
});

test('JSON that is not a JSON Feed, and invalid JSON, are parse errors', (t) => {
  t.throws(() => parseFeedDocument('{"hello": "world"}'), { instanceOf: FeedParseError });
  t.throws(() => parseFeedDocument('{"version": '), { instanceOf: FeedParseError });
});

test('XXE: a document declaring an external entity is refused, nothing is read', (t) => {
  const error = t.throws(() => parseFeedDocument(fixture('xxe.xml')), {
    instanceOf: FeedParseError,
  });
  t.regex(error!.message, /declares XML entities/);
});

test('billion laughs: refused at once, without expanding anything', (t) => {
  const started = Date.now();
  t.throws(() => parseFeedDocument(fixture('billion-laughs.xml')), {
    instanceOf: FeedParseError,
    message: /declares XML entities/,
  });
  t.true(Date.now() - started < 200);
});

test('even a harmless internal entity is refused: the library would expand it', (t) => {
  t.throws(() => parseFeedDocument(fixture('internal-entity.xml')), {
    instanceOf: FeedParseError,
  });
});

test('a plain DOCTYPE (RSS 0.91) is dropped; <!ENTITY inside CDATA is only text; Latin-1 decoded', (t) => {
  const feed = process('rss091-doctype.xml');
  t.is(feed.title, 'Old school café');
  t.is(feed.items[0]!.summary, 'Café Latin-1');
  t.is(neutraliseDoctype('<!DOCTYPE rss SYSTEM "x.dtd"><rss/>'), '<rss/>');
  t.notThrows(() => neutraliseDoctype('<rss><![CDATA[<!DOCTYPE x [<!ENTITY a "b">]>]]></rss>'));
});

test('malformed XML, HTML pages and empty bodies are parse errors', (t) => {
  t.throws(() => parseFeedDocument(fixture('malformed.xml')), {
    instanceOf: FeedParseError,
    message: /never closed/,
  });
  t.throws(() => parseFeedDocument(fixture('not-a-feed.html')), { instanceOf: FeedParseError });
  t.throws(() => parseFeedDocument(''), { instanceOf: FeedParseError });
  t.throws(() => parseFeedDocument('just some text'), { instanceOf: FeedParseError });
  t.throws(() => parseFeedDocument(fixture('opml.xml')), { instanceOf: FeedParseError });
});

test('structure check: self-closing tags and stray ampersands are fine; unclosed and two roots are not', (t) => {
  t.is(structuralProblem('<feed><link href="x"/><title>AT&T</title></feed>'), null);
  t.regex(structuralProblem('<rss><channel>')!, /never closed/);
  t.regex(structuralProblem('<rss/><rss/>')!, /more than one root/);
  t.regex(structuralProblem('no xml')!, /no root/);
});

test('nesting deeper than real content is refused or cut, in time linear in the input', (t) => {
  // htmlparser2 is quadratic in nesting depth: 1 MB of this took 12 s per pass.
  const hostile = `${'<b>'.repeat(100_000)}${'</i>'.repeat(100_000)}`;
  t.regex(
    structuralProblem(`<rss><channel>${hostile}</channel></rss>`)!,
    /nested more than 256 deep/,
  );
  t.throws(
    () =>
      parseFeedDocument(`<rss version="2.0"><channel><title>x</title>${hostile}</channel></rss>`),
    {
      instanceOf: FeedParseError,
      message: /nested more than 256 deep/,
    },
  );
  // In an item's HTML: what came before the depth is kept, tags closed.
  const cut = sanitizeHtml(`<p>kept</p>${hostile}<p>never read</p>`);
  t.true(cut.startsWith('<p>kept</p><b><b>'));
  t.false(cut.includes('never read'));
  t.is(cut.match(/<b>/g)!.length, cut.match(/<\/b>/g)!.length);
  t.is(toPlainText(`kept ${hostile} never read`), 'kept');
  // Ordinary nesting is read to the end.
  t.is(toPlainText(`${'<span>'.repeat(200)}deep${'</span>'.repeat(200)} after`), 'deep after');
});

test('charset: from Content-Type, else the XML declaration, else UTF-8', (t) => {
  const latin1 = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><x>caf\xe9</x>', 'latin1');
  t.regex(decodeBody(latin1), /café/);
  t.regex(decodeBody(Buffer.from('caf\xe9', 'latin1'), 'text/xml; charset=windows-1252'), /café/);
  t.is(decodeBody(Buffer.from('\ufeffhé', 'utf8')), 'hé', 'the BOM is dropped');
});

test('fallback guid: a hash of link and title, stable across polls; duplicates in one document dropped', (t) => {
  const first = process('no-ids.xml');
  const again = process('no-ids.xml');
  t.is(first.items.length, 2, 'the repeated Alpha is kept once');
  t.deepEqual(
    first.items.map((i) => i.guid),
    again.items.map((i) => i.guid),
  );
  t.regex(first.items[0]!.guid, /^sha256:[0-9a-f]{64}$/);
  t.is(
    itemGuid({ id: null, link: 'https://noids.example/alpha', title: 'Alpha' }),
    first.items[0]!.guid,
  );
  t.not(
    itemGuid({ id: null, link: 'https://noids.example/alpha', title: 'Alpha (edited)' }),
    first.items[0]!.guid,
  );
  t.is(itemGuid({ id: '  spaced  ', link: null, title: null }), 'spaced');
  t.regex(itemGuid({ id: 'x'.repeat(3000), link: null, title: null }), /^sha256:/);
  t.is(first.items[1]!.date, null, 'an unreadable date is null, not Invalid Date');
});

test('at most maxItems items, the newest ones', (t) => {
  const items = Array.from({ length: 30 }, (_, i) => {
    const day = String(i + 1).padStart(2, '0');
    return `<item><guid>g${i}</guid><title>T${i}</title><pubDate>2024-01-${day}T00:00:00Z</pubDate></item>`;
  });
  const xml = `<rss version="2.0"><channel><title>Many</title>${items.join('')}</channel></rss>`;
  const feed = processFeed(parseFeedDocument(xml), { maxItems: 5, feedUrl: FEED_URL });
  t.deepEqual(
    feed.items.map((i) => i.guid),
    ['g29', 'g28', 'g27', 'g26', 'g25'],
  );
});

test('dates far in the future are clamped to now + 1 day', (t) => {
  const xml =
    '<rss version="2.0"><channel><title>F</title><item><guid>f</guid><pubDate>Fri, 01 Jan 2100 00:00:00 GMT</pubDate></item></channel></rss>';
  const now = new Date('2025-01-01T00:00:00Z');
  const feed = processFeed(parseFeedDocument(xml), { maxItems: 10, feedUrl: FEED_URL, now });
  t.is(feed.items[0]!.date?.toISOString(), '2025-01-02T00:00:00.000Z');
});

test('sanitising: scripts, event handlers and javascript: links go; relative links resolve', (t) => {
  const feed = process('rss2.xml');
  const html = feed.items[0]!.description!;
  t.false(html.includes('<script'));
  t.false(html.includes('alert'));
  t.false(html.includes('javascript:'));
  t.true(html.includes('href="https://blog.example.com/rel"'));
  t.is(
    sanitizeHtml('<p onclick="x()" style="color:red">a<img src="data:x" onerror="y()"></p>'),
    '<p>a<img></p>',
  );
  t.is(sanitizeHtml('<b>unclosed <i>tags'), '<b>unclosed <i>tags</i></b>');
  t.is(toPlainText('<p>One</p><p>Two &amp; <style>x{}</style>three</p>'), 'One Two & three');
});

test('NUL and control characters are stripped from text and raw JSON (PostgreSQL refuses them)', (t) => {
  const xml = `<rss version="2.0"><channel><title>N</title><item><guid>n</guid><title>a\u0000b\u0007c</title></item></channel></rss>`;
  const feed = processFeed(parseFeedDocument(xml), { maxItems: 10, feedUrl: FEED_URL });
  t.is(feed.items[0]!.title, 'abc');
  t.deepEqual(cleanJson({ 'k\u0000': ['v\u0000', 1, null] }), { k: ['v', 1, null] });
});

test('plain text without markup or entities skips the HTML parser with the same result', (t) => {
  t.is(toPlainText('  Plain\n\ttitle\u0000 with   spaces \r\n'), 'Plain title with spaces');
  t.is(toPlainText('no markup'), 'no markup');
  t.is(toPlainText('a &lt;b&gt; c'), 'a <b> c');
  t.is(toPlainText('<p>x</p>y'), 'x y');
  t.is(toPlainText(''), '');
});
