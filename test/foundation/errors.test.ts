/**
 * The error middleware on a real HTTP server: known errors show their message,
 * unknown ones a generic 500 with the request id — never a stack trace.
 */

import http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import Koa from 'koa';
import pino from 'pino';
import { notFound } from '../../src/errors';
import { errorHandler } from '../../src/web/middleware/error-handler';
import { requestId } from '../../src/web/middleware/request-id';
import { requestLog } from '../../src/web/middleware/request-log';
import { createRenderer } from '../../src/web/render';
import '../../src/web/types';

let baseUrl: string;
let server: http.Server;
const logged: string[] = [];

test.before(async () => {
  const app = new Koa();
  app.silent = true;
  // Log lines are captured, to check the stack goes to the log and not the page.
  const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
  app.use(requestId());
  app.use(requestLog(logger, new Set()));
  app.use(errorHandler(createRenderer({ allowRegistration: true })));
  app.use(async (ctx) => {
    if (ctx.path === '/boom') throw new Error('secret internal detail at /srv/app.ts:42');
    if (ctx.path === '/missing') throw notFound('That bookmark does not exist.');
  });
  server = http.createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
test.after.always(() => server?.close());

test('an unexpected error is a generic 500 page with the request id, logged with its stack', async (t) => {
  const response = await fetch(`${baseUrl}/boom`, { headers: { accept: 'text/html' } });
  t.is(response.status, 500);
  const id = response.headers.get('x-request-id');
  t.truthy(id);
  const html = await response.text();
  t.regex(html, /Something went wrong/);
  t.true(html.includes(id!), 'the page shows the request id');
  t.false(html.includes('secret internal detail'), 'no internals on the page');
  t.notRegex(html, /\bat .*\.(ts|js):\d+/, 'no stack trace');
  t.true(
    logged.some((line) => line.includes('secret internal detail')),
    'the stack is in the log',
  );
});

test('JSON callers get {error: {code, message, request_id}}', async (t) => {
  const response = await fetch(`${baseUrl}/boom`, {
    headers: { accept: 'application/json', 'x-request-id': 'abc-123' },
  });
  t.is(response.status, 500);
  t.deepEqual(await response.json(), {
    error: {
      code: 'internal_error',
      message: 'Something went wrong on our side.',
      request_id: 'abc-123',
    },
  });
});

test('known errors keep their status and message; unknown paths are 404', async (t) => {
  const known = await fetch(`${baseUrl}/missing`, { headers: { accept: 'application/json' } });
  t.is(known.status, 404);
  t.is(
    ((await known.json()) as { error: { message: string } }).error.message,
    'That bookmark does not exist.',
  );
  const page = await fetch(`${baseUrl}/nowhere`);
  t.is(page.status, 404);
  t.regex(await page.text(), /Not found/);
});

test('a hostile request id is replaced, not echoed', async (t) => {
  const response = await fetch(`${baseUrl}/missing`, {
    headers: { 'x-request-id': '<script>alert(1)</script>' },
  });
  t.not(response.headers.get('x-request-id'), '<script>alert(1)</script>');
  t.false((await response.text()).includes('<script>alert(1)</script>'));
});
