/**
 * Hostile input against a real web process, as one table: oversized and
 * malformed bodies, invalid UTF-8, huge query strings and headers, path
 * tricks, SQL and pattern metacharacters in searches, and bad ids. Each row
 * has its documented status and message (docs/reliability.md lists them);
 * after each batch the process still answers /healthz and has not exited.
 * Feed and import hostile cases live with their domains: test/feeds/parser.test.ts,
 * test/fetcher/fetcher.test.ts, test/imports/hostile.test.ts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { type ExecutionContext } from 'ava';
import type { Knex } from 'knex';
import { Model } from 'objection';
import { createOrUpdateBookmark } from '../../src/bookmarks';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aToken, aUser } from '../helpers/factories';
import { type RawReply, rawRequest } from '../helpers/raw-http';
import {
  type AppProcess,
  isRunning,
  quietKnex,
  type Session,
  signIn,
  spawnWeb,
  stopAll,
  stopProcess,
} from './support';

let db: TestDatabase;
let knex: Knex;
let web: AppProcess;
let token: string;
let session: Session;
let dataDir: string;
let bookmarkId: number;

test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
  knex = quietKnex(db.url);
  Model.knex(knex);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-hostile-'));
  const user = await aUser({ username: 'hostile' });
  token = await aToken(user.id);
  for (const [i, title] of [
    '100% pure',
    'snake_case names',
    'C:\\Windows path',
    "O'Reilly books",
  ].entries()) {
    await createOrUpdateBookmark({
      ownerId: user.id,
      fields: { url: `https://meta.example/${i}`, title },
      source: 'cli',
    });
  }
  const { bookmark } = await createOrUpdateBookmark({
    ownerId: user.id,
    fields: { url: 'https://meta.example/plain', title: 'plain words' },
    source: 'cli',
  });
  bookmarkId = bookmark.id;
  web = await spawnWeb(db.url, { DATA_DIR: dataDir, IMPORT_MAX_BYTES: '1mb' });
  session = await signIn(web.url, 'hostile');
});

test.after.always(async () => {
  await stopProcess(web);
  await stopAll();
  await knex?.destroy();
  await db?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Reply = Omit<RawReply, 'reset' | 'sendFailed'> & { readonly type: string };

/** Bytes on a socket, exactly as given: no URL normalisation, no header checks. */
async function raw(request: string | Buffer): Promise<Reply> {
  const reply = await rawRequest(web.url, '', Buffer.from(request));
  // A reset here means the server closed with our body unread and the answer was lost
  // (the error handler reads the rest first; 431 for a huge head is answered before it).
  if (reply.reset) throw new Error('the server reset the connection without an answer');
  return { ...reply, type: reply.headers['content-type'] ?? '' };
}

function get(target: string, headers: Record<string, string> = {}): Promise<Reply> {
  const lines = Object.entries({ host: 'localhost', connection: 'close', ...headers }).map(
    ([k, v]) => `${k}: ${v}`,
  );
  return raw(`GET ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`);
}

function send(
  method: string,
  target: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<Reply> {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const lines = Object.entries({
    host: 'localhost',
    connection: 'close',
    'content-length': String(bytes.length),
    ...headers,
  }).map(([k, v]) => `${k}: ${v}`);
  return raw(
    Buffer.concat([
      Buffer.from(`${method} ${target} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`),
      bytes,
    ]),
  );
}

const bearer = () => ({ authorization: `Bearer ${token}`, accept: 'application/json' });
const json = () => ({ ...bearer(), 'content-type': 'application/json' });
const cookies = () => ({ cookie: session.cookie });

interface Case {
  readonly name: string;
  readonly send: () => Promise<Reply>;
  readonly status: number;
  /** Matched against the body (the JSON error message, or the page). */
  readonly message?: RegExp;
  readonly check?: (t: ExecutionContext, reply: Reply) => unknown;
}

const MB = 1024 * 1024;
/** How long the server took to answer a body that never arrives. */
let promisedMs = 0;

async function runBatch(t: ExecutionContext, cases: readonly Case[]): Promise<void> {
  for (const c of cases) {
    const reply = await c.send();
    // RELIABILITY_TABLE=1 prints what each row answered (the table in docs/reliability.md).
    // RELIABILITY_TABLE=survey only prints, to see every row at once.
    if (process.env.RELIABILITY_TABLE) t.log(`${c.name} | ${reply.status} | ${summary(reply)}`);
    if (process.env.RELIABILITY_TABLE === 'survey') continue;
    t.is(reply.status, c.status, `${c.name}: ${reply.status} ${reply.body.slice(0, 300)}`);
    if (c.message) t.regex(reply.body, c.message, c.name);
    if (c.check) await c.check(t, reply);
  }
  // The process is still up and answering after the batch.
  t.true(isRunning(web), web.app.output().slice(-2000));
  t.is((await fetch(`${web.url}/healthz`)).status, 200);
  t.notRegex(web.app.output(), /uncaught exception/);
}

function summary(reply: Reply): string {
  if (/json/.test(reply.type)) {
    try {
      const error = (JSON.parse(reply.body) as { error?: { code: string; message: string } }).error;
      if (error) return `${error.code}: ${error.message}`;
    } catch {
      // not JSON after all
    }
  }
  const paragraph = /<p>([^<]*)<\/p>/.exec(reply.body)?.[1];
  return paragraph ?? reply.body.slice(0, 80).replace(/\s+/g, ' ');
}

const errorCode = (reply: Reply) =>
  (JSON.parse(reply.body) as { error: { code: string; message: string } }).error.code;

test('oversized bodies: 413 before anything is parsed', async (t) => {
  await runBatch(t, [
    {
      name: 'JSON body of 2 MB to the API',
      send: () =>
        send(
          'POST',
          '/api/v1/bookmarks',
          JSON.stringify({ url: 'https://x.example/', title: 'x'.repeat(2 * MB) }),
          json(),
        ),
      status: 413,
      message: /The request body is too large: the limit is 1 MB/,
      check: (t, r) => t.is(errorCode(r), 'payload_too_large'),
    },
    {
      name: 'form body of 2 MB to a page (HTML error page)',
      send: () =>
        send('POST', '/bookmarks/new', `url=https://x.example/&title=${'x'.repeat(2 * MB)}`, {
          ...cookies(),
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'text/html',
        }),
      status: 413,
      message: /The request body is too large: the limit is 1 MB/,
      check: (t, r) => t.regex(r.type, /text\/html/),
    },
    {
      name: 'form body of 2 MB to the login form, anonymously',
      send: () =>
        send('POST', '/auth/login', `username=${'x'.repeat(2 * MB)}`, {
          'content-type': 'application/x-www-form-urlencoded',
        }),
      status: 413,
    },
    {
      // The rest never comes: the answer must not wait for it (the error
      // handler reads what is still arriving, but gives up once it stops).
      name: 'a Content-Length that promises 2 MB',
      send: async () => {
        const started = Date.now();
        const reply = await send('POST', '/api/v1/bookmarks', '{}', {
          ...json(),
          'content-length': String(2 * MB),
        });
        promisedMs = Date.now() - started;
        return reply;
      },
      status: 413,
      check: (t) => t.true(promisedMs < 3000, `answered after ${promisedMs} ms`),
    },
    {
      name: 'an import upload over IMPORT_MAX_BYTES (1 MB here)',
      send: () =>
        send('POST', '/api/v1/imports', Buffer.alloc(2 * MB, 'a'), {
          ...bearer(),
          'content-type': 'application/octet-stream',
        }),
      status: 413,
    },
    {
      name: 'a title of 10 000 characters (within the body limit)',
      send: () =>
        send(
          'POST',
          '/api/v1/bookmarks',
          JSON.stringify({ url: 'https://long.example/', title: 't'.repeat(10_000) }),
          json(),
        ),
      status: 422,
      message: /title/,
    },
  ]);
});

test('malformed JSON and forms: 400 or 422, never 500', async (t) => {
  await runBatch(t, [
    {
      name: 'truncated JSON',
      send: () => send('POST', '/api/v1/bookmarks', '{"url": "https://x.example/', json()),
      status: 400,
      message: /The request body could not be parsed: it is not valid JSON\./,
      check: (t, r) => t.is(errorCode(r), 'bad_request'),
    },
    {
      name: 'a JSON array instead of an object',
      send: () => send('POST', '/api/v1/bookmarks', '[1,2,3]', json()),
      status: 400,
      message: /The request body must be a JSON object/,
    },
    {
      name: 'JSON nested 100 000 deep',
      send: () =>
        send('POST', '/api/v1/bookmarks', `${'['.repeat(100_000)}${']'.repeat(100_000)}`, json()),
      status: 400,
    },
    {
      name: 'JSON with the wrong types',
      send: () => send('POST', '/api/v1/bookmarks', '{"url": 42, "tags": {"a": 1}}', json()),
      status: 422,
      message: /url/,
      check: (t, r) => t.is(errorCode(r), 'validation_failed'),
    },
    {
      name: '__proto__ keys: refused by the JSON parser (prototype poisoning)',
      send: () =>
        send(
          'POST',
          '/api/v1/bookmarks',
          '{"url": "https://proto.example/", "__proto__": {"polluted": true}}',
          json(),
        ),
      status: 400,
      message: /The request body could not be parsed: JSON keys named __proto__ are refused\./,
    },
    {
      name: 'constructor.prototype keys: an unknown field, nothing polluted',
      send: () =>
        send(
          'POST',
          '/api/v1/bookmarks',
          '{"url": "https://proto.example/", "constructor": {"prototype": {"polluted": true}}}',
          json(),
        ),
      status: 422,
      message: /Unknown field \\"constructor\\"/,
      check: async (t) => {
        t.is(({} as { polluted?: boolean }).polluted, undefined);
        t.is((await fetch(`${web.url}/healthz`)).status, 200);
      },
    },
    {
      name: 'JSON declared as UTF-16: read as UTF-8 all the same',
      send: () =>
        send('POST', '/api/v1/bookmarks', '{"url": "https://x.example/"}', {
          ...bearer(),
          'content-type': 'application/json; charset=utf-16',
        }),
      status: 201,
    },
    {
      name: 'an OPML import sent as a form, not a file: answered at once',
      send: () =>
        send('POST', '/feeds/import', `opml=x&_csrf=${encodeURIComponent(session.csrf)}`, {
          ...cookies(),
          accept: 'application/json',
          'content-type': 'application/x-www-form-urlencoded',
        }),
      status: 422,
    },
    {
      name: 'a body with no Content-Type: 415, not read as JSON',
      send: () => send('POST', '/api/v1/bookmarks', 'url=https://x.example/', bearer()),
      status: 415,
      message: /Content-Type: application\/json/,
    },
  ]);
});

test('invalid UTF-8 and NUL characters in JSON, forms, queries and paths', async (t) => {
  const badUtf8 = Buffer.concat([
    Buffer.from('{"url": "https://utf8.example/", "title": "bad '),
    Buffer.from([0xff, 0xfe, 0xc3, 0x28]),
    Buffer.from('"}'),
  ]);
  await runBatch(t, [
    {
      name: 'invalid UTF-8 bytes in a JSON string: replaced by U+FFFD and stored',
      send: () => send('POST', '/api/v1/bookmarks', badUtf8, json()),
      status: 201,
      check: (t, r) => t.regex((JSON.parse(r.body) as { title: string }).title, /^bad \uFFFD/),
    },
    {
      name: 'a NUL character in a JSON string',
      send: () =>
        send(
          'POST',
          '/api/v1/bookmarks',
          '{"url": "https://nul.example/", "title": "a\\u0000b"}',
          json(),
        ),
      status: 400,
      message: /Text may not contain NUL characters/,
      check: (t, r) => t.is(errorCode(r), 'bad_request'),
    },
    {
      name: 'a lone surrogate (\\ud800) in a JSON string: stored as U+FFFD',
      send: () =>
        send(
          'POST',
          '/api/v1/bookmarks',
          '{"url": "https://surrogate.example/", "title": "a\\ud800b"}',
          json(),
        ),
      status: 201,
      check: (t, r) => t.is((JSON.parse(r.body) as { title: string }).title, 'a\uFFFDb'),
    },
    {
      name: 'a NUL character in a form field (%00)',
      send: async () =>
        send(
          'POST',
          '/bookmarks/new',
          `url=https://nul.example/form&title=a%00b&_csrf=${encodeURIComponent(session.csrf)}`,
          {
            ...cookies(),
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'text/html',
          },
        ),
      status: 400,
      message: /Text may not contain NUL characters/,
    },
    {
      name: 'invalid percent-encoding in a form (%ff, %E0%A4%A)',
      send: async () =>
        send(
          'POST',
          '/bookmarks/new',
          `url=https://pct.example/&title=%ff%E0%A4%A&_csrf=${encodeURIComponent(session.csrf)}`,
          {
            ...cookies(),
            'content-type': 'application/x-www-form-urlencoded',
            accept: 'text/html',
          },
        ),
      status: 302,
      check: async (t) => {
        const row = await knex('bookmarks').where({ url: 'https://pct.example/' }).first();
        t.is(row?.title, '%ff%E0%A4%A', 'kept as typed');
      },
    },
    {
      name: 'invalid percent-encoding in a search query',
      send: () => get('/bookmarks?q=%ff%fe%E0%A4%A', { accept: 'text/html' }),
      status: 200,
    },
    {
      name: 'a NUL in a search query',
      send: () => get('/api/v1/bookmarks?q=a%00b', bearer()),
      status: 400,
      message: /Text may not contain NUL characters/,
    },
    {
      name: 'a NUL in a path parameter (/u/a%00b)',
      send: () => get('/u/a%00b', { accept: 'text/html' }),
      status: 400,
      message: /Text may not contain NUL characters/,
    },
    {
      name: 'invalid percent-encoding in a path parameter',
      send: () => get('/u/%ff%fe', { accept: 'text/html' }),
      status: 404,
    },
    {
      name: 'raw invalid UTF-8 bytes in the request line: refused by Node',
      send: () =>
        raw(
          Buffer.concat([
            Buffer.from('GET /t/'),
            Buffer.from([0xff, 0xfe]),
            Buffer.from(' HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n'),
          ]),
        ),
      status: 400,
    },
  ]);
});

test('huge query strings, URLs and headers: Node refuses them before the app', async (t) => {
  await runBatch(t, [
    {
      name: 'a 100 KB query string',
      send: () => get(`/bookmarks?q=${'a'.repeat(100_000)}`),
      status: 431,
    },
    {
      name: 'a 20 KB header',
      send: () => get('/bookmarks', { 'x-junk': 'a'.repeat(20_000) }),
      status: 431,
    },
    {
      name: 'a 20 KB path',
      send: () => get(`/u/${'a'.repeat(20_000)}`),
      status: 431,
    },
    {
      name: 'a 5 000-character search (under the header limit)',
      send: () => get(`/api/v1/bookmarks?q=${'a'.repeat(5000)}`, bearer()),
      status: 422,
      message: /Searches are at most 500 characters/,
    },
    {
      name: '1 500 repeated query parameters',
      send: () => get(`/api/v1/bookmarks?${'tag=a&'.repeat(1500)}`, bearer()),
      status: 200,
    },
    {
      name: 'a 10 KB bearer token',
      send: () => get('/api/v1/bookmarks', { authorization: `Bearer ${'x'.repeat(10_000)}` }),
      status: 401,
    },
    {
      name: 'a forged session cookie: ignored, you are anonymous',
      send: () => get('/import', { cookie: 'pebbling.sid=eyJ1aWQiOjF9; pebbling.sid.sig=forged' }),
      status: 302,
      check: (t, r) => t.regex(r.headers.location ?? '', /^\/auth\/login/),
    },
    {
      name: 'an X-Request-Id with junk is replaced',
      send: () => get('/healthz', { 'x-request-id': '<script>alert(1)</script>' }),
      status: 200,
      check: (t, r) => t.regex(r.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/),
    },
  ]);
});

test('path tricks in export file names and static paths: 404, nothing outside is served', async (t) => {
  const leaks = (t: ExecutionContext, r: Reply) => {
    t.notRegex(r.body, /"name": "pebbling-club"|root:x:0:0/);
  };
  await runBatch(t, [
    ...[
      '/bookmarks/export/..%2f..%2f..%2fpackage.json',
      '/bookmarks/export/%2e%2e%2f%2e%2e%2fpackage.json',
      '/bookmarks/export/../../package.json',
      '/bookmarks/export/netscape.html%00.txt',
      '/bookmarks/export/netscape.html%2f..%2f..%2fetc%2fpasswd',
      '/bookmarks/export/%2fetc%2fpasswd',
    ].map(
      (target): Case => ({
        name: `export ${target}`,
        send: () => get(target, { ...bearer() }),
        status: 404,
        check: leaks,
      }),
    ),
    ...[
      '/static/../package.json',
      '/static/../../../etc/passwd',
      '/static/%2e%2e/%2e%2e/package.json',
      '/static/..%2f..%2fpackage.json',
      '/static/app.css%2f..%2f..%2fpackage.json',
      '/static//etc/passwd',
      '/static/%2fetc%2fpasswd',
      '/static/.%2e/views/layout.njk',
    ].map(
      (target): Case => ({
        name: `static ${target}`,
        send: () => get(target),
        status: 404,
        check: leaks,
      }),
    ),
    {
      name: 'the real static file still works',
      send: () => get('/static/app.css'),
      status: 200,
      check: (t, r) => t.regex(r.type, /text\/css/),
    },
    {
      name: 'an export answers a fixed file name, whatever the URL says',
      send: () => get('/bookmarks/export/netscape.html?filename=../../evil', bearer()),
      status: 200,
      check: (t, r) =>
        t.regex(r.headers['content-disposition'] ?? '', /^attachment; filename="[a-z0-9.-]+"$/),
    },
    {
      name: 'an import upload named ../../../evil.html is stored under a name of our own',
      send: async () => {
        const form = new FormData();
        form.set(
          'file',
          new Blob(['<DT><A HREF="https://evil.example/">e</A>']),
          '../../../evil.html',
        );
        const response = await fetch(`${web.url}/api/v1/imports`, {
          method: 'POST',
          headers: bearer(),
          body: form,
        });
        return { status: response.status, type: '', body: await response.text(), headers: {} };
      },
      status: 202,
      check: async (t) => {
        const [job] = await knex('import_jobs').orderBy('id', 'desc').limit(1);
        const stored = path.resolve(String(job.file_path));
        t.true(stored.startsWith(path.resolve(dataDir) + path.sep), stored);
        t.false(fs.existsSync(path.resolve(dataDir, '..', '..', '..', 'evil.html')));
      },
    },
  ]);
});

test('SQL and pattern metacharacters in searches match literally', async (t) => {
  const titles = async (q: string) => {
    const response = await fetch(`${web.url}/api/v1/bookmarks?q=${encodeURIComponent(q)}`, {
      headers: bearer(),
    });
    const body = (await response.json()) as { items?: Array<{ title: string }> };
    return { status: response.status, titles: (body.items ?? []).map((b) => b.title).sort() };
  };
  const expectations: Array<[string, string[]]> = [
    ["' OR 1=1 --", []],
    ["'; DROP TABLE bookmarks; --", []],
    ['%', ['100% pure']],
    ['_', ['snake_case names']],
    ['\\', ['C:\\Windows path']],
    ["O'Reilly", ["O'Reilly books"]],
    ['(.*)+', []],
    ['[a-z]*', []],
    ['$1 \\1 ^$', []],
  ];
  for (const [q, expected] of expectations) {
    const result = await titles(q);
    t.is(result.status, 200, q);
    t.deepEqual(result.titles, expected, `q=${q}`);
  }
  // The same through the HTML list, the tag filter and the public tag page.
  await runBatch(
    t,
    ["' OR 1=1 --", '%', '(.*)+', '\\'].flatMap((q): Case[] => [
      {
        name: `page /bookmarks?q=${q}`,
        send: () => get(`/bookmarks?q=${encodeURIComponent(q)}`, { accept: 'text/html' }),
        status: 200,
      },
      {
        name: `page /t/${q}`,
        send: () => get(`/t/${encodeURIComponent(q)}`, { accept: 'text/html' }),
        status: 200,
      },
      {
        name: `page /bookmarks?tag=${q}`,
        send: () => get(`/bookmarks?tag=${encodeURIComponent(q)}`, { accept: 'text/html' }),
        status: 200,
      },
    ]),
  );
  t.is(Number((await knex('bookmarks').count('* as n'))[0]!.n) > 0, true, 'still there');
});

/** An id in an import form field is validated (422 naming the field); a well-formed unknown id is a 404. */
const importStatus = (id: string) => (id === '0x10' ? 404 : 422);

test('bad ids in paths: 404; in an import form field: 422; never 500', async (t) => {
  const ids = ['-1', '0', '1e99', 'abc', '99999999999999999999', '1.5', '0x10', '%20', 'NaN'];
  const csrf = session.csrf;
  const form = (extra = '') => `_csrf=${encodeURIComponent(csrf)}${extra}`;
  const page = { ...cookies(), accept: 'text/html' };
  const post = { ...page, 'content-type': 'application/x-www-form-urlencoded' };
  const cases: Case[] = ids.flatMap((id): Case[] => [
    {
      name: `GET /bookmarks/${id}/edit`,
      send: () => get(`/bookmarks/${id}/edit`, page),
      status: 404,
    },
    {
      name: `POST /bookmarks/${id}/delete`,
      send: () => send('POST', `/bookmarks/${id}/delete`, form(), post),
      status: 404,
    },
    {
      name: `GET /api/v1/bookmarks/${id}`,
      send: () => get(`/api/v1/bookmarks/${id}`, bearer()),
      status: 404,
    },
    {
      name: `PATCH /api/v1/bookmarks/${id}`,
      send: () => send('PATCH', `/api/v1/bookmarks/${id}`, '{"title":"x"}', json()),
      status: 404,
    },
    {
      name: `DELETE /api/v1/bookmarks/${id}`,
      send: () => send('DELETE', `/api/v1/bookmarks/${id}`, '', bearer()),
      status: 404,
    },
    { name: `GET /feeds/${id}`, send: () => get(`/feeds/${id}`, page), status: 404 },
    {
      name: `POST /feeds/${id}/delete`,
      send: () => send('POST', `/feeds/${id}/delete`, form(), post),
      status: 404,
    },
    {
      name: `GET /api/v1/imports/${id}`,
      send: () => get(`/api/v1/imports/${id}`, bearer()),
      status: 404,
    },
    {
      name: `POST /settings/tokens/${id}/delete`,
      send: () => send('POST', `/settings/tokens/${id}/delete`, form(), post),
      status: 404,
    },
    {
      name: `POST /import/cancel id=${id}`,
      send: () => send('POST', '/import/cancel', form(`&id=${id}`), post),
      status: importStatus(id),
      message: importStatus(id) === 422 ? /Which import\?/ : undefined,
    },
  ]);
  await runBatch(t, cases);
  // The real bookmark was not touched by any of it.
  t.truthy(await knex('bookmarks').where({ id: bookmarkId }).first());
});

test('odd list parameters: 422 with a message saying what is allowed', async (t) => {
  await runBatch(t, [
    {
      name: '?page=-1',
      send: () => get('/api/v1/bookmarks?page=-1', bearer()),
      status: 422,
      message: /Pages are numbered from 1/,
    },
    { name: '?page=1e99', send: () => get('/api/v1/bookmarks?page=1e99', bearer()), status: 422 },
    {
      name: '?limit=abc',
      send: () => get('/api/v1/bookmarks?limit=abc', bearer()),
      status: 422,
      message: /limit/,
    },
    {
      name: '?sort=id;drop',
      send: () => get('/api/v1/bookmarks?sort=id;drop', bearer()),
      status: 422,
      message: /Sort by one of/,
    },
    {
      name: '?since=garbage',
      send: () => get('/api/v1/bookmarks?since=garbage', bearer()),
      status: 422,
    },
    {
      name: '?page=-1 on a page (HTML)',
      send: () => get('/bookmarks?page=-1', { accept: 'text/html' }),
      status: 422,
    },
    {
      name: '?page[]=1&page[]=2 (arrays)',
      send: () => get('/api/v1/bookmarks?page[]=1&page[]=2', bearer()),
      status: 200,
    },
    {
      name: 'PUT on a page route (signed in, with the CSRF header, so the method is what is judged)',
      send: () => send('PUT', '/bookmarks', '', { ...cookies(), 'x-csrf-token': session.csrf }),
      status: 405,
    },
    {
      name: 'a page route with an API token: 401 saying where tokens work',
      send: () => get('/bookmarks', bearer()),
      status: 401,
      message: /API tokens work on the API/,
    },
  ]);
});
