/**
 * Bench-only feed server: `node dist/bench/feeds/fixture-server.js <port>
 * <hosts> <items>`. Serves /feeds/<n>.xml, an RSS 2.0 feed of <items> items,
 * on 127.0.0.1 … 127.0.0.<hosts> (all loopback on Linux), with a stable
 * ETag and Last-Modified per feed and 304 for a matching If-None-Match.
 * GET /stats answers {"200": n, "304": n, "404": n}.
 */
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const hosts = Number(process.argv[3] ?? 1);
const itemsPerFeed = Number(process.argv[4] ?? 50);
const LAST_MODIFIED = 'Wed, 25 Nov 2026 10:00:00 GMT';
const stats: Record<string, number> = { '200': 0, '304': 0, '404': 0 };
const bodies = new Map<number, string>();

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function feedXml(n: number): string {
  const items: string[] = [];
  const base = Date.UTC(2026, 10, 25, 10, 0, 0);
  for (let i = 0; i < itemsPerFeed; i++) {
    const date = new Date(base - i * 3_600_000).toUTCString();
    items.push(`    <item>
      <title>${escapeXml(`Feed ${n}, post ${i}: a headline of ordinary length`)}</title>
      <link>https://site-${n}.example/posts/${i}</link>
      <guid isPermaLink="false">site-${n}-post-${i}</guid>
      <pubDate>${date}</pubDate>
      <description>${escapeXml(`<p>Post ${i} of feed ${n}. A summary paragraph with <a href="https://site-${n}.example/">a link</a> and a couple of sentences of text, as blogs publish them.</p>`)}</description>
    </item>`);
  }
  return `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
  <channel>
    <title>Bench feed ${n}</title>
    <link>https://site-${n}.example/</link>
    <description>Feed ${n} of the feed polling benchmark</description>
    <lastBuildDate>${LAST_MODIFIED}</lastBuildDate>
${items.join('\n')}
  </channel>
</rss>
`;
}

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  if (req.url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(stats));
    return;
  }
  const match = /^\/feeds\/(\d+)\.xml$/.exec(req.url ?? '');
  if (!match) {
    stats['404']!++;
    res.writeHead(404).end();
    return;
  }
  const n = Number(match[1]);
  const etag = `"bench-feed-${n}-v1"`;
  if (req.headers['if-none-match'] === etag) {
    stats['304']!++;
    res.writeHead(304, { etag, 'last-modified': LAST_MODIFIED }).end();
    return;
  }
  let body = bodies.get(n);
  if (body === undefined) {
    body = feedXml(n);
    bodies.set(n, body);
  }
  stats['200']!++;
  res.writeHead(200, {
    'content-type': 'application/rss+xml; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    etag,
    'last-modified': LAST_MODIFIED,
  });
  res.end(body);
}

async function main(): Promise<void> {
  const servers: http.Server[] = [];
  for (let h = 1; h <= hosts; h++) {
    const server = http.createServer(handle);
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, `127.0.0.${h}`, resolve);
    });
    servers.push(server);
  }
  process.stdout.write(`feed fixture server listening on ${hosts} hosts, port ${port}\n`);
  const stop = () => {
    for (const server of servers) server.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
