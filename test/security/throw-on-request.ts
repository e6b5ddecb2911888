/**
 * Preloaded (NODE_OPTIONS=--require) into an app process by
 * test/security/uploads.test.ts, to stand for a bug no handler catches:
 * `GET /__throw` throws from a timer, `GET /__reject` leaves a promise
 * rejected with nobody to catch it. The request itself goes on normally.
 */
import http from 'node:http';

const createServer = http.createServer;
const patched = ((...args: Parameters<typeof http.createServer>) => {
  const server = createServer(...args);
  server.prependListener('request', (req: http.IncomingMessage) => {
    if (req.url === '/__throw') {
      setImmediate(() => {
        throw new Error('a bug outside every handler');
      });
    }
    if (req.url === '/__reject') void Promise.reject(new Error('a rejection nobody handles'));
  });
  return server;
}) as typeof http.createServer;
(http as { createServer: typeof http.createServer }).createServer = patched;
