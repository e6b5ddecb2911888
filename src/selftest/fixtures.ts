/**
 * A built-in fixture site for the self-test: one page that links its feed,
 * and the feed (RSS 2.0, three items). Served on 127.0.0.1 by the self-test.
 */
import http from 'node:http';

const FEED = (base: string) => `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>pebbling-club self-test feed</title><link>${base}/</link><description>fixture</description>
  <item><title>First</title><link>${base}/1</link><guid>selftest-1</guid><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item>
  <item><title>Second</title><link>${base}/2</link><guid>selftest-2</guid><pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate></item>
  <item><title>Third</title><link>${base}/3</link><guid>selftest-3</guid><pubDate>Wed, 04 Nov 2026 10:00:00 GMT</pubDate></item>
</channel></rss>`;

const PAGE = (base: string) => `<!doctype html><html><head><title>Self-test page</title>
<meta property="og:title" content="pebbling-club self-test page">
<meta property="og:description" content="A page served by the metrics self-test.">
<link rel="alternate" type="application/rss+xml" href="${base}/feed.xml"></head><body>fixture</body></html>`;

export interface FixtureSite {
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startFixtureSite(): Promise<FixtureSite> {
  let base = '';
  const server = http.createServer((req, res) => {
    if (req.url === '/feed.xml') {
      res.writeHead(200, { 'content-type': 'application/rss+xml; charset=utf-8' }).end(FEED(base));
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE(base));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    baseUrl: base,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A three-bookmark Netscape file with tags and dates. */
export function netscapeFixture(base: string, runId: string): string {
  const entry = (n: number) =>
    `<DT><A HREF="${base}/import/${runId}/${n}" ADD_DATE="${1_700_000_000 + n}" TAGS="selftest,import">Imported ${n}</A>\n<DD>Self-test import ${n}`;
  return `<!DOCTYPE NETSCAPE-Bookmark-file-1>
<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">
<TITLE>Bookmarks</TITLE><H1>Bookmarks</H1>
<DL><p>
${[1, 2, 3].map(entry).join('\n')}
</DL><p>
`;
}
