// Generated test documents: the bench fixture's RSS 2.0 feed, an Atom 1.0
// feed of the same items, a JSON Feed of them.
const escapeXml = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const base = Date.UTC(2026, 10, 25, 10, 0, 0);
const desc = (n, i) => `<p>Post ${i} of feed ${n}. A summary paragraph with <a href="https://site-${n}.example/">a link</a> and a couple of sentences of text, as blogs publish them.</p>`;

function rss(n, count) {
  const items = [];
  for (let i = 0; i < count; i++) {
    items.push(`    <item>
      <title>${escapeXml(`Feed ${n}, post ${i}: a headline of ordinary length`)}</title>
      <link>https://site-${n}.example/posts/${i}</link>
      <guid isPermaLink="false">site-${n}-post-${i}</guid>
      <pubDate>${new Date(base - i * 3_600_000).toUTCString()}</pubDate>
      <description>${escapeXml(desc(n, i))}</description>
    </item>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Bench feed ${n}</title>
    <link>https://site-${n}.example/</link>
    <description>Feed ${n} of the feed polling benchmark</description>
    <lastBuildDate>Wed, 25 Nov 2026 10:00:00 GMT</lastBuildDate>
${items.join('\n')}
  </channel>
</rss>
`;
}

function atom(n, count) {
  const entries = [];
  for (let i = 0; i < count; i++) {
    entries.push(`  <entry>
    <title type="html">${escapeXml(`Feed ${n}, post ${i}: a headline of ordinary length`)}</title>
    <link rel="alternate" href="https://site-${n}.example/posts/${i}"/>
    <id>tag:site-${n}.example,2026:post-${i}</id>
    <updated>${new Date(base - i * 3_600_000).toISOString()}</updated>
    <content type="html">${escapeXml(desc(n, i))}</content>
  </entry>`);
  }
  return `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Bench feed ${n}</title>
  <link href="https://site-${n}.example/"/>
  <id>tag:site-${n}.example,2026:feed</id>
  <updated>2026-11-25T10:00:00Z</updated>
${entries.join('\n')}
</feed>
`;
}

function json(n, count) {
  return JSON.stringify({
    version: 'https://jsonfeed.org/version/1.1',
    title: `Bench feed ${n}`,
    home_page_url: `https://site-${n}.example/`,
    items: Array.from({ length: count }, (_, i) => ({
      id: `site-${n}-post-${i}`,
      url: `https://site-${n}.example/posts/${i}`,
      title: `Feed ${n}, post ${i}: a headline of ordinary length`,
      content_html: desc(n, i),
      date_published: new Date(base - i * 3_600_000).toISOString(),
    })),
  });
}

module.exports = { rss, atom, json };
