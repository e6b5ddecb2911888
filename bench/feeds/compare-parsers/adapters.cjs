// Each candidate library, used through its documented entry point, mapped to
// one shape: { title, link, description, items: [{ id, link, title, titleHtml,
// summary, content, date }] }. The mapping is the obvious one for each
// library's output (what an app would write on a first try), no fixes.
const { Parser } = require('htmlparser2');

const str = (v) => (v === undefined || v === null || v === '' ? null : String(v));

// --- @rowanmanning/feed-parser ---
const rowan = require('@rowanmanning/feed-parser');
function rowanmanning(text) {
  if (text.trimStart().startsWith('{')) throw new Error('no JSON Feed support');
  const f = rowan.parseFeed(text).toJSON();
  return {
    title: f.title, titleHtml: false, link: f.url, description: f.description,
    items: f.items.map((i) => ({
      id: i.id, link: i.url, title: i.title, titleHtml: false,
      summary: i.description, content: i.content, date: i.published ?? i.updated,
    })),
  };
}

// --- feedsmith ---
const feedsmith = require('feedsmith');
const atomText = (t) => (t ? { value: t.value, html: t.type === 'html' || t.type === 'xhtml' || /html/.test(t.type ?? '') } : { value: null, html: false });
const altLink = (links) => {
  if (!links?.length) return null;
  const alt = links.find((l) => !l.rel || l.rel === 'alternate') ?? null;
  return alt?.href ?? null;
};
function feedsmithAdapter(text) {
  const { format, feed } = feedsmith.parseFeed(text);
  if (format === 'atom') {
    const t = atomText(feed.title);
    return {
      title: t.value, titleHtml: t.html, link: altLink(feed.links), description: feed.subtitle?.value ?? null,
      items: (feed.entries ?? []).map((e) => {
        const et = atomText(e.title);
        return {
          id: str(e.id), link: altLink(e.links), title: et.value, titleHtml: et.html,
          summary: e.summary?.value ?? null, content: e.content?.value ?? null, date: e.published ?? e.updated,
        };
      }),
    };
  }
  if (format === 'json') {
    return {
      title: feed.title, titleHtml: false, link: feed.home_page_url, description: feed.description,
      items: (feed.items ?? []).map((i) => ({
        id: str(i.id), link: i.url ?? i.external_url ?? null, title: i.title ?? null, titleHtml: false,
        summary: i.summary ?? null, content: i.content_html ?? i.content_text ?? null,
        date: i.date_published ?? i.date_modified,
      })),
    };
  }
  // rss, rdf
  return {
    title: feed.title ?? feed.dc?.title ?? null, titleHtml: true, link: feed.link ?? null,
    description: feed.description ?? null,
    items: (feed.items ?? []).map((i) => ({
      id: str(i.guid?.value ?? i.rdf?.about), link: i.link ?? null, title: i.title ?? i.dc?.title ?? null, titleHtml: true,
      summary: i.description ?? i.dc?.description ?? null, content: i.content?.encoded ?? null,
      date: i.pubDate ?? i.dc?.date ?? i.dc?.dates?.[0],
    })),
  };
}

// --- @extractus/feed-extractor ---
const extractus = require('@extractus/feed-extractor');
function extractusAdapter(text) {
  const options = {
    descriptionMaxLen: 0,
    getExtraEntryFields: (e) => ({ content: e['content:encoded'] ?? e.content?.['#text'] ?? (typeof e.content === 'string' ? e.content : undefined) ?? e.content_html }),
  };
  const f = text.trimStart().startsWith('{') ? extractus.extractFromJson(text, options) : extractus.extractFromXml(text, options);
  return {
    title: str(f.title), titleHtml: false, link: str(f.link), description: str(f.description),
    items: (f.entries ?? []).map((e) => ({
      id: str(e.id), link: str(e.link), title: str(e.title), titleHtml: false,
      summary: str(e.description), content: str(e.content), date: str(e.published),
    })),
  };
}

// --- feedparser (sax) ---
const FeedParser = require('feedparser');
function feedparserAdapter(text) {
  if (text.trimStart().startsWith('{')) return Promise.reject(new Error('no JSON Feed support'));
  return new Promise((resolve, reject) => {
    const parser = new FeedParser({ addmeta: false });
    const items = [];
    parser.on('error', reject);
    parser.on('readable', () => { let i; while ((i = parser.read())) items.push(i); });
    parser.on('end', () => {
      const m = parser.meta;
      resolve({
        title: m.title, titleHtml: false, link: m.link, description: m.description,
        items: items.map((i) => ({
          id: str(i.guid), link: str(i.link), title: str(i.title), titleHtml: false,
          summary: str(i.summary), content: str(i.description), date: i.pubdate ?? i.date,
        })),
      });
    });
    parser.end(text);
  });
}

// --- the app: feedsmith + src/feeds/formats.ts (needs `make dist/.build-stamp`) ---
function app(text) {
  const { parseFeedDocument } = require('../../../dist/src/feeds/parser.js');
  const f = parseFeedDocument(text);
  const date = (i) => i.published ?? i.updated;
  return {
    title: f.title, titleHtml: f.titleType === 'html', link: f.siteUrl, description: f.description,
    items: f.items.map((i) => ({
      id: i.id, link: i.link, title: i.title, titleHtml: i.titleType === 'html',
      summary: i.summary, content: i.content, date: date(i),
    })),
  };
}

/** HTML to text, as the app's toPlainText does (tags dropped, entities decoded). */
function htmlToText(html) {
  let out = '';
  const p = new Parser({ ontext: (t) => { out += t; } }, { decodeEntities: true });
  p.write(html); p.end();
  return out.replace(/\s+/g, ' ').trim();
}

module.exports = {
  libraries: {
    '@rowanmanning/feed-parser': rowanmanning,
    feedsmith: feedsmithAdapter,
    '@extractus/feed-extractor': extractusAdapter,
    feedparser: feedparserAdapter,
    ...(process.env.WITH_APP ? { 'the app (feedsmith + formats.ts)': app } : {}),
  },
  htmlToText,
};
