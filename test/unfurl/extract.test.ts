import test from 'ava';
import { extractMetadata } from '../../src/unfurl';

const PAGE = 'https://site.invalid/posts/one';

const og = `
  <meta property="og:title" content="OG title">
  <meta property="og:description" content="OG description">
  <meta property="og:image" content="/img/og.png">
  <meta property="article:author" content="OG Author">`;
const dc = `
  <meta name="DC.title" content="DC title">
  <meta name="DC.description" content="DC description">
  <meta name="DC.creator" content="DC Author">`;
const jsonLd = `
  <script type="application/ld+json">
    {"@context": "https://schema.org", "@graph": [
      {"@type": "WebSite", "name": "The site"},
      {"@type": "BlogPosting", "headline": "LD headline", "description": "LD description",
       "image": {"@type": "ImageObject", "url": "https://cdn.invalid/ld.png"},
       "author": [{"@type": "Person", "name": "Ann"}, {"@type": "Person", "name": "Bo"}]}
    ]}
  </script>`;
const microdata = `
  <article itemscope itemtype="https://schema.org/Article">
    <h1 itemprop="headline">  Micro
      headline </h1>
    <p itemprop="description">Micro description</p>
    <img itemprop="image" src="micro.png">
    <span itemprop="author" itemscope itemtype="https://schema.org/Person">
      <span itemprop="name">Micro Author</span>
    </span>
  </article>`;
const basic = `
  <title>Basic &amp; title</title>
  <meta name="description" content="Basic description">
  <meta name="author" content="Basic Author">`;

function page(head: string, body = ''): string {
  return `<!doctype html><html><head>${head}</head><body>${body}</body></html>`;
}

test('Open Graph wins over Dublin Core, JSON-LD, microdata and the plain tags', (t) => {
  const found = extractMetadata(page(basic + dc + og + jsonLd, microdata), PAGE);
  t.like(found, {
    title: 'OG title',
    description: 'OG description',
    image: 'https://site.invalid/img/og.png',
    author: 'OG Author',
  });
});

test('then Dublin Core', (t) => {
  const found = extractMetadata(page(basic + jsonLd + dc, microdata), PAGE);
  t.like(found, { title: 'DC title', description: 'DC description', author: 'DC Author' });
  t.is(found.image, 'https://cdn.invalid/ld.png', 'DC has no image: JSON-LD’s comes next');
});

test('then JSON-LD (the page’s item before the site’s, authors joined)', (t) => {
  const found = extractMetadata(page(basic + jsonLd, microdata), PAGE);
  t.like(found, {
    title: 'LD headline',
    description: 'LD description',
    image: 'https://cdn.invalid/ld.png',
    author: 'Ann, Bo',
  });
});

test('then microdata', (t) => {
  const found = extractMetadata(page(basic, microdata), PAGE);
  t.like(found, {
    title: 'Micro headline',
    description: 'Micro description',
    image: 'https://site.invalid/posts/micro.png',
    author: 'Micro Author',
  });
});

test('and last the <title> and plain <meta> tags, entities decoded', (t) => {
  const found = extractMetadata(page(basic), PAGE);
  t.like(found, {
    title: 'Basic & title',
    description: 'Basic description',
    author: 'Basic Author',
  });
  t.is(found.image, undefined);
});

test('broken JSON-LD, javascript: images and empty values are ignored', (t) => {
  const found = extractMetadata(
    page(`<script type="application/ld+json">{not json</script>
      <meta property="og:image" content="javascript:alert(1)">
      <meta property="og:title" content="   ">
      <title>Fallback</title>`),
    PAGE,
  );
  t.is(found.title, 'Fallback');
  t.is(found.image, undefined);
});

test('feeds: <link rel=alternate> of feed types first, resolved against <base>', (t) => {
  const found = extractMetadata(
    page(
      `<base href="https://site.invalid/blog/">
      <link rel="alternate" type="application/rss+xml" href="feed.xml">
      <link rel="alternate" type="application/atom+xml" href="/atom.xml">
      <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
      <link rel="stylesheet" href="/style.css">`,
      `<a href="/comments/feed/">Comments feed</a>
       <a href="/about">About</a>
       <a href="https://other.invalid/x">RSS</a>
       <a href="/index.xml">sitemap?</a>`,
    ),
    PAGE,
  );
  t.deepEqual(found.feedLinks, [
    'https://site.invalid/blog/feed.xml',
    'https://site.invalid/atom.xml',
  ]);
  t.deepEqual(found.feedCandidates, [
    'https://site.invalid/comments/feed/',
    'https://other.invalid/x',
    'https://site.invalid/index.xml',
  ]);
});

test('a page built to hurt is read within bounds, keeping what its head says', (t) => {
  // Every open microdata element used to collect all the text after it: 600 KB
  // of these took gigabytes. Now only a few are open at once, each capped.
  const captures = extractMetadata(
    page(
      '<title>Hostile</title>',
      `${'<span itemprop=description>'.repeat(200)}${'x<br>'.repeat(200_000)}`,
    ),
    PAGE,
  );
  t.is(captures.title, 'Hostile');
  t.is(captures.description, 'x'.repeat(5_000));

  // Nested deeper than real pages are: read up to that depth, not further.
  const deep = extractMetadata(
    page(
      '<title>Deep</title>',
      `${'<b>'.repeat(50_000)}${'</i>'.repeat(50_000)}<meta name="description" content="never read">`,
    ),
    PAGE,
  );
  t.is(deep.title, 'Deep');
  t.is(deep.description, undefined);
  const shallow = extractMetadata(
    page('', `${'<b>'.repeat(200)}x${'</b>'.repeat(200)}<meta name="description" content="read">`),
    PAGE,
  );
  t.is(shallow.description, 'read', 'ordinary nesting is read to the end');

  // Each capture keeps only what can be used: a JSON-LD block past 256 KB is
  // cut there, so it no longer parses and is ignored (it used to be kept whole,
  // once per open capture).
  const padded = `<script type="application/ld+json">{"@type": "Article", "description": "LD", "pad": "${'p'.repeat(300 * 1024)}"}</script>`;
  t.is(extractMetadata(page(padded), PAGE).description, undefined);
  const small = `<script type="application/ld+json">{"@type": "Article", "description": "LD", "pad": "${'p'.repeat(200 * 1024)}"}</script>`;
  t.is(extractMetadata(page(small), PAGE).description, 'LD');

  // Thousands of feed links: a bounded list, each once.
  const links = extractMetadata(
    page(
      Array.from(
        { length: 5_000 },
        (_, i) => `<link rel="alternate" type="application/rss+xml" href="/f${i % 40}.xml">`,
      ).join(''),
      Array.from({ length: 5_000 }, (_, i) => `<a href="/c${i}/feed">x</a>`).join(''),
    ),
    PAGE,
  );
  t.is(links.feedLinks.length, 20);
  t.is(new Set(links.feedLinks).size, 20);
  t.is(links.feedCandidates.length, 10);
});
