/**
 * Issue #15, High 1: a multipart upload cut off mid-file stopped the whole
 * process (web, worker and the embedded PostgreSQL). Against a real app
 * process (main.js, so its handling of escaped errors is the one tested),
 * over raw sockets: every upload route answers a cut-off body with a 400
 * that says so, leaves no file behind, and the process keeps its PID and
 * keeps answering. Also: a client that goes away mid-upload, an OPML body
 * over 2 MB, an import form over its limit and a JSON body over the parser's
 * (413, not a reset), and a bug that escapes every handler.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { Model } from 'objection';
import { projectRoot } from '../../src/paths';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { multipart, rawRequest, requestHead } from '../helpers/raw-http';
import {
  type AppProcess,
  isRunning,
  quietKnex,
  type Session,
  signIn,
  spawnWeb,
  stopAll,
  stopProcess,
  waitUntil,
} from '../reliability/support';

let db: TestDatabase;
let knex: Knex;
let web: AppProcess;
let pid: number | undefined;
let dataDir: string;
let session: Session;
let token: string;

test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
  knex = quietKnex(db.url);
  Model.knex(knex);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-uploads-'));
  const user = await aUser({ username: 'uploader' });
  token = await aToken(user.id);
  const preload = path.join(projectRoot, 'dist', 'test', 'security', 'throw-on-request.js');
  web = await spawnWeb(db.url, {
    DATA_DIR: dataDir,
    IMPORT_MAX_BYTES: String(1024 * 1024),
    NODE_OPTIONS: `--require ${preload}`,
  });
  pid = web.app.child.pid;
  session = await signIn(web.url, 'uploader');
});

test.after.always(async () => {
  await stopProcess(web);
  await stopAll();
  await knex?.destroy();
  await db?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const uploads = () => {
  try {
    return fs.readdirSync(path.join(dataDir, 'uploads'));
  } catch {
    return [];
  }
};

/** The process is the one we started, still serving, and nothing escaped its handlers. */
async function stillServing(t: ExecutionContext): Promise<void> {
  t.true(isRunning(web), web.app.output().slice(-2000));
  t.is(web.app.child.pid, pid);
  t.is((await fetch(`${web.url}/healthz`)).status, 200);
  t.notRegex(web.app.output(), /uncaught exception|unhandled promise rejection/);
}

const bookmarks = Buffer.from(
  `<DL>${'<DT><A HREF="https://cut.example/">cut</A>\n'.repeat(4000)}`,
  'utf8',
);

interface UploadRoute {
  readonly name: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly fields: Record<string, string>;
  readonly file: string;
}

const routes = (): UploadRoute[] => [
  {
    name: 'POST /import/submit (the page form)',
    path: '/import/submit',
    headers: { cookie: session.cookie, accept: 'text/html' },
    fields: { _csrf: session.csrf },
    file: 'file',
  },
  {
    name: 'POST /api/v1/imports (bearer token)',
    path: '/api/v1/imports',
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    fields: {},
    file: 'file',
  },
  {
    name: 'POST /feeds/import (field opml)',
    path: '/feeds/import',
    headers: { cookie: session.cookie, accept: 'application/json' },
    fields: { _csrf: session.csrf },
    file: 'opml',
  },
];

/** Posts `body` as the route's multipart form, over a raw socket. */
function send(route: UploadRoute, body: Buffer, options: Parameters<typeof rawRequest>[3] = {}) {
  const head = requestHead('POST', route.path, {
    ...route.headers,
    'content-type': 'multipart/form-data; boundary=uploadboundary',
    'content-length': String(body.length),
  });
  return rawRequest(web.url, head, body, options);
}

/** The route's form with a file of bookmarks, cut before its end or abandoned halfway. */
function upload(route: UploadRoute, how: { cut: boolean; stopHalfway?: boolean }) {
  const body = multipart(
    'uploadboundary',
    route.fields,
    { name: route.file, filename: 'bookmarks.html', content: bookmarks },
    how.cut,
  );
  return send(route, body, {
    stopAfter: how.stopHalfway ? Math.floor(body.length / 2) : undefined,
  });
}

test.serial(
  'a multipart body that ends mid-file: 400 saying so, no file left, the process untouched',
  async (t) => {
    for (const route of routes()) {
      const reply = await upload(route, { cut: true });
      t.is(reply.status, 400, `${route.name}: ${reply.status} ${reply.body.slice(0, 300)}`);
      t.regex(reply.body, /cut off before its end/, route.name);
      t.deepEqual(uploads(), [], `${route.name} left no file`);
      await stillServing(t);
    }
    t.is(
      await knex('import_jobs')
        .count<{ n: number }>({ n: '*' })
        .first()
        .then((r) => r?.n),
      0,
    );
  },
);

test.serial(
  'a client that goes away in the middle of an upload: no file left, the process untouched',
  async (t) => {
    for (const route of routes()) {
      await upload(route, { cut: false, stopHalfway: true });
      t.true(
        await waitUntil(() => uploads().length === 0, 5000),
        `${route.name}: ${uploads().join(', ')}`,
      );
      await stillServing(t);
    }
    // The same for a raw (non-multipart) import body.
    await rawRequest(
      web.url,
      requestHead('POST', '/api/v1/imports', {
        authorization: `Bearer ${token}`,
        'content-type': 'text/html',
        'content-length': String(bookmarks.length),
      }),
      bookmarks,
      { stopAfter: 10_000 },
    );
    t.true(await waitUntil(() => uploads().length === 0, 5000), uploads().join(', '));
    await stillServing(t);
  },
);

test.serial('an OPML body over 2 MB: 413 with a message, not a reset connection', async (t) => {
  const big = Buffer.alloc(3 * 1024 * 1024, 'x');
  const reply = await rawRequest(
    web.url,
    requestHead('POST', '/feeds/import', {
      cookie: session.cookie,
      'x-csrf-token': session.csrf,
      accept: 'application/json',
      'content-type': 'text/x-opml',
      'transfer-encoding': 'chunked',
    }),
    Buffer.concat([
      Buffer.from(`${big.length.toString(16)}\r\n`),
      big,
      Buffer.from('\r\n0\r\n\r\n'),
    ]),
  );
  t.false(reply.reset);
  t.is(reply.status, 413, reply.body.slice(0, 300));
  t.regex(reply.body, /OPML files are at most 2 MB/);
  await stillServing(t);
});

test.serial(
  'an import form over IMPORT_MAX_BYTES: the page answers 413 on the file field, not a reset',
  async (t) => {
    const [route] = routes();
    const body = multipart(
      'uploadboundary',
      route!.fields,
      { name: 'file', filename: 'big.html', content: Buffer.alloc(3 * 1024 * 1024, 'x') },
      false,
    );
    // The page route answers the refusal itself: the rest of the body must
    // still be read, or the kernel resets the connection and the page is lost.
    const reply = await send(route!, body, { trickle: { bytes: 64 * 1024, everyMs: 20 } });
    t.false(reply.sendFailed, 'the whole body was read');
    t.false(reply.reset);
    t.is(reply.status, 413, reply.body.slice(0, 300));
    t.regex(
      reply.body,
      /<p id="file-error" class="field-error">The file is larger than the import limit of 1 MB \(IMPORT_MAX_BYTES\)/,
    );
    t.deepEqual(uploads(), []);
    await stillServing(t);
  },
);

test.serial(
  'a malformed multipart body that goes on for megabytes: a 400 that is heard, not a reset',
  async (t) => {
    const [route] = routes();
    // busboy gives up on a part header over 16 KB while almost 2 MB more are
    // on their way, sent slowly. The page route answers the refusal itself:
    // the rest must still be read before it does, or closing the connection
    // resets it under the client (who may then never see the answer).
    const body = Buffer.from(`--uploadboundary\r\nX-Junk: ${'y'.repeat(1800 * 1024)}`);
    const reply = await send(route!, body, { trickle: { bytes: 64 * 1024, everyMs: 20 } });
    t.false(reply.sendFailed, 'the whole body was read');
    t.false(reply.reset);
    t.is(reply.status, 400, reply.body.slice(0, 300));
    t.regex(reply.body, /not valid multipart\/form-data/);
    t.deepEqual(uploads(), []);
    await stillServing(t);
  },
);

test.serial(
  'a JSON body over the body parser limit, sent slowly: the error handler reads it all, then answers 413',
  async (t) => {
    const body = Buffer.from(
      JSON.stringify({ url: 'https://x.example/', description: 'd'.repeat(3 * 1024 * 1024) }),
    );
    const reply = await rawRequest(
      web.url,
      requestHead('POST', '/api/v1/bookmarks', {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'content-length': String(body.length),
      }),
      body,
      { trickle: { bytes: 64 * 1024, everyMs: 20 } },
    );
    t.false(reply.sendFailed, 'the whole body was read');
    t.is(reply.status, 413, reply.body.slice(0, 300));
    await stillServing(t);
  },
);

test.serial(
  'an error that escapes every handler is logged, and the process keeps serving',
  async (t) => {
    t.is((await fetch(`${web.url}/__throw`)).status, 404);
    t.is((await fetch(`${web.url}/__reject`)).status, 404);
    t.true(
      await waitUntil(
        () => /unhandled promise rejection: kept running/.test(web.app.output()),
        5000,
      ),
    );
    t.regex(web.app.output(), /"msg":"uncaught exception: kept running"/);
    t.regex(web.app.output(), /a bug outside every handler/);
    t.true(isRunning(web));
    t.is(web.app.child.pid, pid);
    t.is((await fetch(`${web.url}/healthz`)).status, 200);
    t.is((await fetch(`${web.url}/bookmarks`)).status, 200);
  },
);
