/**
 * Awkward feed documents: entities, CDATA, namespaces, xml:base, case, line
 * ends, media, authors, categories. Used by test/feeds/parse-path.test.ts.
 */
export const TRICKY_FEEDS: Record<string, string> = {
  'rss entities and CDATA': `<?xml version="1.0"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>AT&T &amp;amp; Co &lt;b&gt; &#233; &nbsp; &copy;</title><link> https://e.example/ </link>
<description><![CDATA[<p>CDATA &amp; raw</p>]]> and text &amp;lt;</description>
<language>en-GB</language><copyright>(c) me</copyright><generator>gen 1.0</generator>
<managingEditor>ed@e.example (Ed Itor)</managingEditor><webMaster>wm@e.example</webMaster>
<category domain="https://e.example/cat">News &amp; Views</category><category>Plain</category>
<image><url>/logo.png</url><title>Logo</title><link>https://e.example/</link></image>
<pubDate>Tue, 02 Jan 2024 10:00:00 +0200</pubDate><lastBuildDate>not a date</lastBuildDate>
<!-- a comment <item> -->
<item><title><![CDATA[Cdata <em>title</em>]]></title><link>/relative/1</link>
<guid isPermaLink="true">https://e.example/p/1</guid><dc:creator>Dee Creator</dc:creator>
<author>a@e.example (Author One)</author><category>C1</category><category domain="d">C2</category>
<description>&lt;p&gt;Desc &amp;amp; more&lt;/p&gt;</description>
<content:encoded><![CDATA[<div>Full <a href="/x">x</a></div>]]></content:encoded>
<enclosure url="https://e.example/a.mp3" length="123" type="audio/mpeg"/>
<pubDate>Mon, 01 Jan 2024 12:00:00 GMT</pubDate><comments>https://e.example/c</comments></item>
<item><title>Second &#x26; numeric</title><link>https://e.example/p/2</link><guid>g2</guid>
<description>plain</description><pubDate>2024-01-03T00:00:00Z</pubDate></item>
</channel></rss>`,
  'rss with media and itunes': `<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd">
<channel><title>Pod</title><link>https://pod.example/</link><itunes:author>Pod Person</itunes:author>
<itunes:image href="https://pod.example/i.jpg"/><itunes:category text="Tech"><itunes:category text="Gadgets"/></itunes:category>
<item><title>Ep 1</title><guid>ep1</guid><itunes:duration>10:00</itunes:duration>
<media:group><media:content url="https://pod.example/v.mp4" type="video/mp4" medium="video" fileSize="999" width="640" height="480"/>
<media:thumbnail url="https://pod.example/t.jpg"/><media:title>Group title</media:title><media:description>Group desc</media:description></media:group>
<media:content url="https://pod.example/a.jpg" medium="image"><media:title>Pic</media:title></media:content>
<media:thumbnail url="https://pod.example/thumb.jpg"/><itunes:image href="https://pod.example/ep.jpg"/>
<enclosure url="https://pod.example/ep1.mp3" type="audio/mpeg" length="1000"/></item>
</channel></rss>`,
  'mixed case, line ends, attributes': `<RSS Version="2.0">\r\n<Channel>\r\n<Title>Line\r\nends\rhere</Title>\r\n<LINK>https://c.example/</LINK>
<item><TITLE attr="a &amp; b &lt; &#60; &nbsp;">Upper</TITLE><Link>https://c.example/u</Link><GUID>U</GUID>
<description>  padded  </description><pubDate>Sun, 07 Jan 2024 07:07:07 PST</pubDate></item>
<item><title/><link></link><guid></guid><description><![CDATA[]]></description></item>
</Channel></RSS>`,
  'rss 1.0 rdf': `<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://r.example/"><title>RDF</title><link>https://r.example/</link><description>d</description><dc:date>2024-03-01T10:00:00+01:00</dc:date><dc:language>fr</dc:language></channel>
<item rdf:about="https://r.example/a"><title>A</title><link>https://r.example/a</link><dc:date>2024-03-01T14:30:00+01:00</dc:date><dc:subject>S</dc:subject><dc:creator>Cr</dc:creator></item>
<item rdf:about="https://r.example/b"><title>B</title><link>https://r.example/b</link></item></rdf:RDF>`,
  'atom with xml:base and authors': `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://a.example/blog/" xml:lang="en">
<title type="text">Atom &amp; base</title><subtitle type="html">&lt;b&gt;sub&lt;/b&gt;</subtitle>
<link href="./" rel="alternate"/><link href="feed.atom" rel="self"/><id>tag:a.example,2024:feed</id>
<updated>2024-05-02T12:00:00Z</updated><rights>CC</rights><generator uri="https://gen.example/" version="2">Gen</generator>
<icon>/icon.png</icon><logo>logo.png</logo>
<author><name>Ann</name><email>ann@a.example</email><uri>/ann</uri></author><contributor><name>Con</name></contributor>
<category term="t1" label="Term one" scheme="https://a.example/cats"/><category term="t2"/>
<entry xml:base="posts/"><title type="html">Hello &lt;em&gt;Atom&lt;/em&gt;</title>
<link href="hello" rel="alternate" type="text/html"/><link rel="enclosure" href="e.mp3" type="audio/mpeg" length="5"/>
<id>urn:uuid:1</id><published>2024-05-01T00:00:00Z</published><updated>2024-05-02T12:00:00+01:00</updated>
<summary type="html">&lt;p&gt;Sum&lt;/p&gt;</summary><content type="html"><![CDATA[<p>Body <a href="rel">r</a></p>]]></content>
<author><name>Bob</name></author><category term="e1"/></entry>
<entry><title>Plain</title><link href="https://a.example/plain"/><id>urn:uuid:2</id><updated>bad date</updated>
<content type="text">Just text &amp; more</content></entry>
</feed>`,
  'atom xhtml content': `<feed xmlns="http://www.w3.org/2005/Atom"><title>X</title><id>x</id>
<entry><title>XHTML</title><id>x1</id><updated>2024-01-01T00:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Some <b>bold</b> &amp; text</p></div></content></entry></feed>`,
  'processing instruction and stray ampersands': `<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="s.xsl"?>
<rss version="2.0"><channel><title>Fish & Chips &unknown; &#xZZ;</title>
<item><title>Q&A</title><link>https://q.example/?a=1&b=2</link><guid>qa</guid></item></channel></rss>`,
};
