/**
 * feedparser's own test feeds (test/fixtures/feeds/feedparser, BSD licence),
 * through the one parse path and the processor: what the app would store.
 * The first tests are the five behaviours issue 16 found wrong.
 */
import test from 'ava';
import { parseFeedDocument } from '../../src/feeds/parser';
import { type ProcessedFeed, processFeed } from '../../src/feeds/processor';
import { fixture } from '../fetcher/fixture-server';

const FEED_URL = 'https://feeds.example/feed';

function stored(name: string): ProcessedFeed {
  return processFeed(parseFeedDocument(fixture(`feedparser/${name}`)), {
    maxItems: 100,
    feedUrl: FEED_URL,
    now: new Date('2025-01-01T00:00:00Z'),
  });
}
const first = (name: string) => stored(name).items[0]!;

test('RSS guid with isPermaLink true (or absent) is the link when there is no <link>', (t) => {
  t.is(first('rss/item_guid_isPermaLink_map_link.xml').link, 'http://guid.example.com/');
  t.is(first('rss/item_guid.xml').link, 'http://guid.example.com/');
  // A <link> wins; isPermaLink="false" never makes a link, nor does a guid that is no URL.
  t.is(first('rss/item_guid_isPermaLink_conflict_link.xml').link, 'http://link.example.com/');
  t.is(first('rss/item_guid_conflict_link.xml').link, 'http://link.example.com/');
  const notPermalink = first('rss/item_guid_guidispermalink_false.xml');
  t.is(notPermalink.link, null);
  t.is(notPermalink.guid, 'not a permalink');
});

test('a type="text" title keeps its angle brackets; an escaped &lt;blink&gt; in HTML is text', (t) => {
  t.is(first('atom10/entry_title_text_plain_brackets.xml').title, 'History of the <blink> tag');
  t.is(first('atom10/entry_title_inline_markup_2.xml').title, 'History of the <blink> tag');
  t.is(first('atom10/entry_title_base64_2.xml').title, 'History of the <blink> tag');
  // Real markup in an HTML or XHTML title is still dropped from the text.
  t.is(first('atom10/entry_title_escaped_markup.xml').title, 'Example Atom');
  t.is(first('atom10/entry_title_inline_markup.xml').title, 'Example Atom');
  // As HTML content, the escaped tag stays escaped (shown, not run).
  t.regex(first('atom10/entry_content_inline_markup_2.xml').description!, /&lt;blink&gt;/);
});

test('Atom 0.3 mode="base64" content, summary and titles are decoded', (t) => {
  // Atom 0.3's default type is text/plain: the decoded "<b>" is text, not markup.
  const content = first('atom03/entry_content_mode_base64.xml');
  t.is(content.description, 'Example &lt;b&gt;Atom&lt;/b&gt;');
  t.is(content.summary, 'Example <b>Atom</b>');
  t.is(first('atom03/entry_summary_content_mode_base64.xml').summary, 'Example <b>Atom</b>');
  t.is(first('atom03/entry_title_content_mode_base64.xml').title, 'Example <b>Atom</b>');
  t.is(stored('atom03/feed_title_content_mode_base64.xml').title, 'Example <b>Atom</b>');
  // mode="escaped" with type text/html is HTML, as before.
  t.is(first('atom03/entry_content_mode_escaped.xml').description, 'Example <b>Atom</b>');
  t.is(first('atom03/entry_title_content_mode_escaped.xml').title, 'Example Atom');
});

test('RDF items without a guid take rdf:about as their id', (t) => {
  t.is(first('rdf/rdf_item_rdf_about.xml').guid, 'http://example.org/1');
  t.is(first('rdf/rdf_item_link.xml').guid, 'http://example.com/1');
  t.is(first('rdf/rdf_item_link.xml').link, 'http://example.com/1');
});

test('link hosts are kept as written', (t) => {
  t.is(first('rss/item_image_link_conflict.xml').link, 'http://item.TEST/');
});

test('the rest of the selection: titles, links, summaries, content and dates', (t) => {
  const feed = (name: string) => stored(name);
  t.is(feed('rss/channel_title_apos.xml').title, "Mark's title");
  t.is(feed('rss/channel_title_lt.xml').title, '1 < 2');
  t.is(feed('rss/channel_image_title_conflict.xml').title, 'Real title');
  t.is(feed('rss/channel_dc_title.xml').title, 'Example title');
  t.is(feed('rss/channel_link.xml').siteUrl, 'http://example.com/');
  t.is(feed('rss/channel_image_link_conflict.xml').siteUrl, 'http://channel.example.com/');
  t.is(feed('rss/channel_textInput_link_conflict.xml').siteUrl, 'http://channel.example.com/');
  t.is(first('rss/item_title.xml').title, 'Item 1 title');
  t.is(first('rss/item_description_escaped_markup.xml').description, '<p>Example description</p>');
  t.is(first('rss/item_description_naked_markup.xml').summary, 'Example description');
  t.is(first('rss/item_description_code_br.xml').description, '<code>&lt;br /&gt;</code>');
  t.is(first('rss/item_dc_description.xml').summary, 'Example description');
  t.is(first('rss/item_content_encoded.xml').description, '<p>Example content</p>');
  t.is(first('rss/item_pubDate.xml').date?.toISOString(), '2004-01-01T19:48:21.000Z');
  t.is(first('rss/item_dc_date.xml').date?.toISOString(), '2003-12-31T10:14:55.000Z');
  t.is(first('atom10/entry_link_alternate_map_link.xml').link, 'http://www.example.com/');
  t.is(
    first('atom10/entry_link_alternate_map_link_3.xml').link,
    'http://www.example.com/alternate',
  );
  t.is(first('atom10/entry_link_no_rel.xml').link, 'http://www.example.com/');
  t.is(first('atom10/entry_id_no_normalization_1.xml').guid, 'http://www.example.org/thing');
  const both = first('atom10/entry_content_and_summary.xml');
  t.is(both.summary, 'Summary');
  t.is(both.description, 'Example Atom');
  t.is(feed('atom10/ampersand_in_attr.xml').title, 'Example test');
  t.is(feed('rdf/rdf_channel_title.xml').title, 'Example feed');
  t.is(feed('rdf/rdf_channel_link.xml').siteUrl, 'http://example.com/');
  t.is(first('rdf/rss090_item_title.xml').title, 'Item title');
  t.is(first('rdf/rdf_item_description.xml').summary, 'Example description');
  const json = feed('json/example.json');
  t.is(json.title, 'My Example Feed');
  t.deepEqual(
    json.items.map((i) => [i.guid, i.link]),
    [
      ['2', 'https://example.org/second-item'],
      ['1', 'https://example.org/initial-post'],
    ],
  );
  t.is(json.items[1]!.description, '<p>Hello, world!</p>\n\n', 'the script is gone');
});
