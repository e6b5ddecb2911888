const fs = require('fs');
const path = require('path');
const { libraries, htmlToText } = require('./adapters.cjs');

const text = (v, html) => (v == null ? null : html ? htmlToText(v) : v.replace(/\s+/g, ' ').trim());
const iso = (d) => { if (!d) return null; const t = new Date(d); return Number.isNaN(t.getTime()) ? null : t.toISOString(); };
const first = (f) => f.items[0] ?? {};

// [file, what, got(feed) → value, expected]; `includes:` for loose checks.
const E = (file, what, get, expected) => ({ file, what, get, expected });
const checks = [
  E('rss/channel_title_apos.xml', 'feed title', (f) => text(f.title, f.titleHtml), "Mark's title"),
  E('rss/channel_title_lt.xml', 'feed title', (f) => text(f.title, f.titleHtml), '1 < 2'),
  E('rss/channel_description_escaped_markup.xml', 'feed description', (f) => f.description, '<p>Example description</p>'),
  E('rss/channel_description_naked_markup.xml', 'feed description', (f) => f.description, { includes: 'Example description' }),
  E('rss/channel_image_link_conflict.xml', 'feed link', (f) => f.link, 'http://channel.example.com/'),
  E('rss/channel_image_title_conflict.xml', 'feed title', (f) => text(f.title, f.titleHtml), 'Real title'),
  E('rss/channel_link.xml', 'feed link', (f) => f.link, 'http://example.com/'),
  E('rss/channel_dc_title.xml', 'feed title', (f) => text(f.title, f.titleHtml), 'Example title'),
  E('rss/channel_textInput_link_conflict.xml', 'feed link', (f) => f.link, 'http://channel.example.com/'),
  E('rss/item_guid_conflict_link.xml', 'link', (f) => first(f).link, 'http://link.example.com/'),
  E('rss/item_guid_isPermaLink_conflict_link.xml', 'link', (f) => first(f).link, 'http://link.example.com/'),
  E('rss/item_guid_isPermaLink_map_link.xml', 'link from guid', (f) => first(f).link, 'http://guid.example.com/'),
  E('rss/item_guid.xml', 'id', (f) => first(f).id, 'http://guid.example.com/'),
  E('rss/item_guid.xml', 'link from guid (isPermaLink defaults to true)', (f) => first(f).link, 'http://guid.example.com/'),
  E('rss/item_guid_guidispermalink_false.xml', 'id', (f) => first(f).id, 'not a permalink'),
  E('rss/item_guid_guidispermalink_false.xml', 'no link', (f) => first(f).link ?? null, null),
  E('rss/item_image_link_conflict.xml', 'link host as written', (f) => first(f).link, 'http://item.TEST/'),
  E('rss/item_description_escaped_markup.xml', 'summary', (f) => first(f).summary, '<p>Example description</p>'),
  E('rss/item_description_naked_markup.xml', 'summary', (f) => first(f).summary, { includes: 'Example description' }),
  E('rss/item_description_code_br.xml', 'summary keeps an escaped <br />', (f) => first(f).summary, '<code>&lt;br /></code>'),
  E('rss/item_description_br.xml', 'summary', (f) => first(f).summary, { includes: 'article byline' }),
  E('rss/item_content_encoded.xml', 'content', (f) => first(f).content, '<p>Example content</p>'),
  E('rss/item_dc_description.xml', 'summary', (f) => first(f).summary, 'Example description'),
  E('rss/item_dc_date.xml', 'date', (f) => iso(first(f).date), '2003-12-31T10:14:55.000Z'),
  E('rss/item_pubDate.xml', 'date', (f) => iso(first(f).date), '2004-01-01T19:48:21.000Z'),
  E('rss/item_xhtml_body.xml', 'content (xhtml:body)', (f) => first(f).content, { includes: 'Example content' }),
  E('rss/item_fullitem.xml', 'content (fullitem)', (f) => first(f).content, { includes: 'Example content' }),
  E('rss/item_title.xml', 'title', (f) => text(first(f).title, first(f).titleHtml), 'Item 1 title'),
  // Decoded is what counts: Atom 0.3's default type is text/plain, so "<b>" may stay text.
  E('atom03/entry_content_mode_base64.xml', 'content (base64) decoded', (f) => first(f).content, { includes: 'Example' }),
  E('atom03/entry_summary_content_mode_base64.xml', 'summary (base64) decoded', (f) => first(f).summary, { includes: 'Example' }),
  E('atom03/entry_title_content_mode_base64.xml', 'title (base64) decoded', (f) => first(f).title, { includes: 'Example' }),
  E('atom03/feed_title_content_mode_base64.xml', 'feed title (base64) decoded', (f) => f.title, { includes: 'Example' }),
  E('atom03/entry_content_mode_escaped.xml', 'content', (f) => first(f).content, 'Example <b>Atom</b>'),
  E('atom03/entry_title_content_mode_escaped.xml', 'title', (f) => text(first(f).title, first(f).titleHtml), 'Example Atom'),
  E('atom10/entry_title_text_plain_brackets.xml', 'type="text" title keeps <blink>', (f) => text(first(f).title, first(f).titleHtml), 'History of the <blink> tag'),
  E('atom10/entry_title_inline_markup_2.xml', 'xhtml title shows &lt;blink&gt; as text', (f) => text(first(f).title, first(f).titleHtml), 'History of the <blink> tag'),
  E('atom10/entry_title_base64_2.xml', 'base64 HTML title shows &lt;blink&gt; as text', (f) => text(first(f).title, first(f).titleHtml), 'History of the <blink> tag'),
  E('atom10/entry_title_inline_markup.xml', 'xhtml title', (f) => text(first(f).title, first(f).titleHtml), 'Example Atom'),
  E('atom10/entry_title_escaped_markup.xml', 'html title', (f) => text(first(f).title, first(f).titleHtml), 'Example Atom'),
  E('atom10/entry_content_inline_markup_2.xml', 'xhtml content keeps the escape', (f) => first(f).content, { includes: 'History of the &lt;blink&gt; tag' }),
  E('atom10/ampersand_in_attr.xml', 'xhtml feed title', (f) => text(f.title, f.titleHtml), 'Example test'),
  E('atom10/relative_uri_inherit.xml', 'xhtml feed title', (f) => text(f.title, f.titleHtml), 'Example test'),
  E('atom10/entry_link_alternate_map_link.xml', 'link', (f) => first(f).link, 'http://www.example.com/'),
  E('atom10/entry_link_alternate_map_link_3.xml', 'link (rel=alternate among others)', (f) => first(f).link, 'http://www.example.com/alternate'),
  E('atom10/entry_link_no_rel.xml', 'link (no rel)', (f) => first(f).link, 'http://www.example.com/'),
  E('atom10/entry_content_and_summary.xml', 'summary', (f) => first(f).summary, 'Summary'),
  E('atom10/entry_content_and_summary.xml', 'content', (f) => first(f).content, 'Example Atom'),
  E('atom10/entry_id_no_normalization_1.xml', 'id', (f) => first(f).id, 'http://www.example.org/thing'),
  E('atom10/entry_summary_type_text.xml', 'summary', (f) => first(f).summary, 'Example Atom'),
  E('rdf/rdf_item_rdf_about.xml', 'id from rdf:about', (f) => first(f).id, 'http://example.org/1'),
  E('rdf/rdf_item_link.xml', 'link', (f) => first(f).link, 'http://example.com/1'),
  E('rdf/rdf_item_description.xml', 'summary', (f) => first(f).summary, 'Example description'),
  E('rdf/rdf_channel_title.xml', 'feed title', (f) => text(f.title, f.titleHtml), 'Example feed'),
  E('rdf/rss090_item_title.xml', 'title (RSS 0.90)', (f) => text(first(f).title, first(f).titleHtml), 'Item title'),
  E('rdf/rdf_channel_link.xml', 'feed link', (f) => f.link, 'http://example.com/'),
  E('rdf/rdf_item_title.xml', 'title', (f) => text(first(f).title, first(f).titleHtml), 'Example title'),
  E('json/example.json', 'feed title', (f) => f.title, 'My Example Feed'),
  E('json/example.json', 'items', (f) => f.items.length, 2),
  E('json/example.json', 'content_html', (f) => f.items[1]?.content, { includes: 'Hello, world!' }),
  E('json/items-id-int.json', 'numeric id (no version key)', (f) => first(f).id, '1'),
  E('json/items-url.json', 'link (no version key)', (f) => first(f).link, 'https://domain.example/entry'),
  E('json/home_page_url.json', 'feed link (no version key)', (f) => f.link, 'https://domain.test/'),
  E('json/items-title-html-is-ignored.json', 'title is text (no version key)', (f) => text(first(f).title, first(f).titleHtml), "<blink><script>alert('abc');</script></blink>"),
];

async function main() {
  const dir = process.argv[2] ?? path.join(__dirname, '..', '..', '..', 'test', 'fixtures', 'feeds', 'feedparser');
  const names = Object.keys(libraries);
  const results = {};
  for (const name of names) {
    results[name] = [];
    for (const c of checks) {
      let ok = false;
      let got;
      try {
        const feed = await libraries[name](fs.readFileSync(path.join(dir, c.file), 'utf8'));
        got = c.get(feed);
        ok = typeof c.expected === 'object' && c.expected !== null
          ? typeof got === 'string' && got.includes(c.expected.includes)
          : got === c.expected;
      } catch (error) {
        got = `throws: ${error.message}`;
      }
      results[name].push({ ok, got });
    }
  }
  const header = `| file | check | ${names.join(' | ')} |`;
  console.log(header);
  console.log(`|---|---|${names.map(() => ':-:').join('|')}|`);
  checks.forEach((c, i) => {
    console.log(`| ${c.file} | ${c.what} | ${names.map((n) => (results[n][i].ok ? '✓' : '✗')).join(' | ')} |`);
  });
  console.log(`| **passed** | of ${checks.length} | ${names.map((n) => results[n].filter((r) => r.ok).length).join(' | ')} |`);
  if (process.env.VERBOSE) {
    checks.forEach((c, i) => {
      for (const n of names) if (!results[n][i].ok) console.error(`${n} ${c.file} ${c.what}: ${JSON.stringify(results[n][i].got)}`);
    });
  }
}
main();
