/** Exports: formats, filters, own bookmarks only, streaming headers, and export → import round trips. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { Parser } from 'htmlparser2';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { bookmarksOf, type StoredBookmark, uploadRaw, waitForJob } from '../imports/support';

let app: TestApp;
let dataDir: string;
let owner: { id: number; username: string; token: string };

const SOURCE = `<!DOCTYPE NETSCAPE-Bookmark-file-1>
<DL><p>
<DT><A HREF="https://round.example/one" ADD_DATE="1500000001" LAST_MODIFIED="1500000500" TAGS="alpha,beta">One &amp; only</A>
<DD>First line
second line with &lt;markup&gt; &amp; "quotes"
<DT><A HREF="https://round.example/two?b=2&amp;a=1" ADD_DATE="1600000002" PRIVATE="1" TAGS="alpha">Two "quoted" &lt;title&gt;</A>
<DT><A HREF="https://round.example/three" ADD_DATE="1700000003" FEED_URL="https://round.example/feed.xml" TAGS="">Three</A>
<DD>Has a feed
<DT><A HREF="https://round.example/ünïcødé/路径" ADD_DATE="1700000004" TAGS="ünïcødé,日本">Ünïcødé 日本語 title</A>
</DL><p>
`;

test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-export-'));
  app = await startTestApp({ DATA_DIR: dataDir });
  const user = await aUser();
  owner = { id: user.id, username: user.username, token: await aToken(user.id) };
  const upload = await uploadRaw(app.baseUrl, owner.token, SOURCE);
  const job = await waitForJob(app.baseUrl, owner.token, upload.json.id);
  if (job.created !== 4) throw new Error(`setup import: ${JSON.stringify(job)}`);
  // One more with a millisecond date, as bookmarks saved in the app have.
  const json =
    '[{"href":"https://round.example/ms","description":"Milliseconds","extended":"","time":"2024-02-03T04:05:06.789Z","shared":"yes","tags":"ms"}]';
  const second = await uploadRaw(app.baseUrl, owner.token, json);
  await waitForJob(app.baseUrl, owner.token, second.json.id);
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function download(file: string, query = '', token = owner.token) {
  const response = await fetch(`${app.baseUrl}/bookmarks/export/${file}${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return { response, text: await response.text() };
}

/** The fields a round trip must keep; dates to the second (Netscape carries seconds). */
function comparable(rows: StoredBookmark[], precision: 'seconds' | 'ms') {
  const date = (d: Date) =>
    precision === 'seconds' ? Math.floor(d.getTime() / 1000) : d.getTime();
  return rows
    .map((row) => ({
      url: row.url,
      title: row.title,
      description: row.description,
      tags: row.tags,
      private: row.private,
      feed_url: row.feed_url,
      created: date(row.created_at),
      updated: date(row.updated_at),
    }))
    .sort((a, b) => a.url.localeCompare(b.url));
}

async function roundTrip(file: string, precision: 'seconds' | 'ms') {
  const { text } = await download(file);
  const fresh = await aUser();
  const token = await aToken(fresh.id);
  const upload = await uploadRaw(app.baseUrl, token, text);
  const job = await waitForJob(app.baseUrl, token, upload.json.id);
  const original = comparable(await bookmarksOf(app.db.knex, owner.id), precision);
  const copy = comparable(await bookmarksOf(app.db.knex, fresh.id), precision);
  return { job, original, copy };
}

test('Netscape HTML → import into a fresh account keeps URLs, titles, descriptions, tags, dates, privacy, feeds', async (t) => {
  const { job, original, copy } = await roundTrip('netscape.html', 'seconds');
  t.is(job.status, 'completed');
  t.is(job.created, 5);
  t.deepEqual(copy, original);
  t.is(original.find((b) => b.url.includes('/two'))!.private, true);
  t.is(
    original.find((b) => b.url.includes('/one'))!.description,
    'First line\nsecond line with <markup> & "quotes"',
  );
});

test('ActivityStreams JSON → import into a fresh account keeps everything, dates to the millisecond', async (t) => {
  const { job, original, copy } = await roundTrip('activitystream.json', 'ms');
  t.is(job.status, 'completed');
  t.is(job.format, 'activitystreams');
  t.is(job.created, 5);
  t.deepEqual(copy, original);
  t.is(copy.find((b) => b.url.endsWith('/ms'))!.created % 1000, 789);
});

test('Netscape export is what browsers and linkding read: doctype, attributes, escaping, PRIVATE, DD', async (t) => {
  const { response, text } = await download('netscape.html');
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'text/html; charset=utf-8');
  t.is(
    response.headers.get('content-disposition'),
    'attachment; filename="pebbling-club-bookmarks.html"',
  );
  t.true(text.startsWith('<!DOCTYPE NETSCAPE-Bookmark-file-1>\n'));
  t.regex(text, /<META HTTP-EQUIV="Content-Type" CONTENT="text\/html; charset=UTF-8">/);
  t.regex(
    text,
    /<DT><A HREF="https:\/\/round\.example\/two\?b=2&amp;a=1" ADD_DATE="1600000002" LAST_MODIFIED="1600000002" PRIVATE="1" TAGS="alpha">Two &quot;quoted&quot; &lt;title&gt;<\/A>/,
  );
  t.regex(text, /<DD>First line\nsecond line with &lt;markup&gt; &amp; &quot;quotes&quot;\n/);
  t.regex(text, /PRIVATE="0" TAGS="alpha,beta">One &amp; only<\/A>/);
  // A plain HTML parser (as a browser's importer uses) finds exactly our four links.
  const hrefs: string[] = [];
  const parser = new Parser({
    onopentag: (name, attrs) => name === 'a' && hrefs.push(attrs.href!),
  });
  parser.end(text);
  t.is(hrefs.length, 5);
  t.true(text.trimEnd().endsWith('</DL><p>'));
});

test('ActivityStreams export is one valid Collection of Link objects', async (t) => {
  const { response, text } = await download('activitystream.json');
  t.is(response.headers.get('content-type'), 'application/activity+json; charset=utf-8');
  t.is(
    response.headers.get('content-disposition'),
    'attachment; filename="pebbling-club-bookmarks.json"',
  );
  const doc = JSON.parse(text) as {
    '@context': string;
    type: string;
    totalItems: number;
    items: Array<Record<string, unknown>>;
  };
  t.is(doc['@context'], 'https://www.w3.org/ns/activitystreams');
  t.is(doc.type, 'Collection');
  t.is(doc.totalItems, 5);
  t.is(doc.items.length, 5);
  const three = doc.items.find((item) => item.url === 'https://round.example/three')!;
  t.like(three, {
    type: 'Link',
    name: 'Three',
    summary: 'Has a feed',
    feedUrl: 'https://round.example/feed.xml',
    tag: [],
  });
  t.is(three.published, '2023-11-14T22:13:23.000Z');
  t.is(doc.items.find((item) => String(item.url).includes('/two'))!.private, true);
});

test('OPML 2.0: link outlines, rss outlines where the feed is known, tags as categories', async (t) => {
  const { response, text } = await download('bookmarks.opml');
  t.is(response.headers.get('content-type'), 'text/x-opml; charset=utf-8');
  t.is(
    response.headers.get('content-disposition'),
    'attachment; filename="pebbling-club-bookmarks.opml"',
  );
  t.true(text.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">'));
  t.regex(
    text,
    /<outline type="rss" xmlUrl="https:\/\/round\.example\/feed\.xml" htmlUrl="https:\/\/round\.example\/three" text="Three"/,
  );
  t.regex(
    text,
    /<outline type="link" url="https:\/\/round\.example\/one" text="One &amp; only" title="One &amp; only" created="Fri, 14 Jul 2017 02:40:01 GMT" category="\/alpha,\/beta" description="First line&#10;second line with &lt;markup&gt; &amp; &quot;quotes&quot;"\/>/,
  );
  const outlines: Array<Record<string, string>> = [];
  const parser = new Parser(
    { onopentag: (name, attrs) => name === 'outline' && outlines.push(attrs) },
    { xmlMode: true },
  );
  parser.end(text);
  t.is(outlines.length, 5);
  t.true(text.trimEnd().endsWith('</opml>'));
});

test('filters: tag, since, limit (newest first); a bad since is a 422', async (t) => {
  const byTag = JSON.parse((await download('activitystream.json', '?tag=Alpha')).text) as {
    items: Array<{ url: string }>;
  };
  t.deepEqual(byTag.items.map((i) => i.url).sort(), [
    'https://round.example/one',
    'https://round.example/two?b=2&a=1',
  ]);
  const since = JSON.parse((await download('activitystream.json', '?since=2023-01-01')).text) as {
    items: Array<{ url: string }>;
  };
  t.is(since.items.length, 3);
  const limited = JSON.parse((await download('activitystream.json', '?limit=1')).text) as {
    totalItems: number;
    items: Array<{ url: string }>;
  };
  t.is(limited.items.length, 1);
  t.is(limited.totalItems, 1);
  t.is(limited.items[0]!.url, 'https://round.example/ms', 'the newest one');
  const bad = await download('netscape.html', '?since=sometime');
  t.is(bad.response.status, 422);
  t.is((await download('netscape.html', '?limit=0')).response.status, 422);
  t.is((await download('bookmarks.csv')).response.status, 404);
});

test('login required; only your own bookmarks (private ones included) are exported', async (t) => {
  const anonymous = await new TestClient(app.baseUrl).get('/bookmarks/export/netscape.html');
  t.is(anonymous.status, 302);
  t.regex(anonymous.location ?? '', /^\/auth\/login/);
  const other = await aUser();
  const { text } = await download('netscape.html', '', await aToken(other.id));
  t.notRegex(text, /round\.example/);
  t.regex(text, /<DL><p>\n<\/DL><p>/);
});

test('a large export is streamed in pages: every bookmark exactly once, in order', async (t) => {
  const user = await aUser();
  const token = await aToken(user.id);
  const count = 1234;
  let items = '';
  for (let i = 0; i < count; i++)
    items += `<DT><A HREF="https://many.example/${i}" ADD_DATE="${1_500_000_000 + Math.floor(i / 3)}">N${i}</A>\n`;
  const upload = await uploadRaw(app.baseUrl, token, `<DL>${items}</DL>`);
  await waitForJob(app.baseUrl, token, upload.json.id);
  const { response, text } = await download('activitystream.json', '', token);
  t.is(response.headers.get('content-length'), null, 'streamed, not buffered');
  const urls = (JSON.parse(text) as { items: Array<{ url: string; published: string }> }).items;
  t.is(urls.length, count);
  t.is(new Set(urls.map((u) => u.url)).size, count);
  const times = urls.map((u) => Date.parse(u.published));
  t.deepEqual(
    times,
    [...times].sort((a, b) => b - a),
  );
});
