/**
 * Reading and dropping what a client is still sending when we answer without
 * its body: an error (a 413 decided from Content-Length, a 403 before an
 * upload is read, a refused upload). Closing a socket with unread data makes
 * the kernel reset the connection, and the client then loses our answer: the
 * browser shows "connection reset" instead of the 413 page. nginx and Apache
 * do the same ("lingering close"). These bounds are the only ones: the error
 * handler and the upload reader both use them.
 */
import type { IncomingMessage } from 'node:http';

/** Beyond these, an unread body is not worth reading: the answer goes out at once. */
export const DISCARD_MAX_BYTES = 16 * 1024 * 1024;
const DISCARD_MAX_MS = 5000;
/** A client that stops sending (it declared more than it sends) is not waited for. */
const DISCARD_IDLE_MS = 500;

/** Requests whose rest was given up on: not waited for a second time. */
const givenUp = new WeakSet<IncomingMessage>();

export function discardRestOfBody(req: IncomingMessage): Promise<void> {
  const declared = Number(req.headers['content-length']);
  if (req.complete || req.destroyed || givenUp.has(req)) return Promise.resolve();
  if (declared > DISCARD_MAX_BYTES) {
    givenUp.add(req);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => {
      clearTimeout(cap);
      clearTimeout(idle);
      req.off('data', count);
      req.off('end', done);
      req.off('close', done);
      req.off('error', done);
      if (!req.complete) givenUp.add(req);
      resolve();
    };
    const count = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DISCARD_MAX_BYTES) return done();
      idle.refresh();
    };
    const cap = setTimeout(done, DISCARD_MAX_MS);
    const idle = setTimeout(done, DISCARD_IDLE_MS);
    req.on('data', count);
    req.once('end', done);
    req.once('close', done);
    req.once('error', done);
    req.resume();
  });
}
