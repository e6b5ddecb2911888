/**
 * A real HTTP server on 127.0.0.1 for fetcher and feed tests. Routes are
 * plain node:http handlers; every request is logged so tests can assert what
 * the fetcher sent (User-Agent, If-None-Match…).
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

export type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

export interface LoggedRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
}

export interface FixtureServer {
  readonly port: number;
  readonly host: string;
  /** http://host:port */
  readonly origin: string;
  url(pathname: string): string;
  route(pathname: string, handler: Handler): void;
  readonly requests: LoggedRequest[];
  requestsTo(pathname: string): LoggedRequest[];
  close(): Promise<void>;
}

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(projectRoot, 'test', 'fixtures', 'feeds', name));
}

export async function startFixtureServer(host = '127.0.0.1'): Promise<FixtureServer> {
  const routes = new Map<string, Handler>();
  const requests: LoggedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({ path: pathname, headers: req.headers });
    const handler = routes.get(pathname);
    if (!handler) {
      res.statusCode = 404;
      res.end('no such fixture');
      return;
    }
    handler(req, res);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${host}:${port}`;
  return {
    port,
    host,
    origin,
    url: (pathname) => `${origin}${pathname}`,
    route: (pathname, handler) => {
      routes.set(pathname, handler);
    },
    requests,
    requestsTo: (pathname) => requests.filter((r) => r.path === pathname),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Serves a body with a content type, answering 304 to matching validators. */
export function serveFeed(
  body: string | Buffer,
  options: { contentType?: string; etag?: string; lastModified?: string } = {},
): Handler {
  return (req, res) => {
    if (options.etag) res.setHeader('ETag', options.etag);
    if (options.lastModified) res.setHeader('Last-Modified', options.lastModified);
    const etagMatches = options.etag && req.headers['if-none-match'] === options.etag;
    const dateMatches =
      options.lastModified && req.headers['if-modified-since'] === options.lastModified;
    if (etagMatches || (!options.etag && dateMatches)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Type', options.contentType ?? 'application/rss+xml; charset=utf-8');
    res.end(body);
  };
}
