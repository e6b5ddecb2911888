/**
 * Malformed and hostile uploads: each ends in a clear job error or in
 * per-record errors, and what was importable is there exactly once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken, aUser } from '../helpers/factories';
import {
  bookmarksOf,
  byUrl,
  FIXTURES,
  type JobJson,
  seconds,
  uploadMultipart,
  uploadRaw,
  waitForJob,
} from './support';

let app: TestApp;
let dataDir: string;
test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-hostile-'));
  app = await startTestApp({ DATA_DIR: dataDir, IMPORT_MAX_BYTES: '8mb' });
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function importBody(body: Buffer | string, query = '') {
  const user = await aUser();
  const token = await aToken(user.id);
  const upload = await uploadRaw(app.baseUrl, token, body, query);
  if (upload.status !== 202)
    throw new Error(`upload: ${upload.status} ${JSON.stringify(upload.json)}`);
  const job = await waitForJob(app.baseUrl, token, upload.json.id);
  const rows = await bookmarksOf(app.db.knex, user.id);
  return { job, rows, map: byUrl(rows), user, token };
}

const netscape = (items: string) =>
  `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=UTF-8">\n<TITLE>Bookmarks</TITLE>\n<DL><p>\n${items}</DL><p>\n`;
const link = (url: string, title: string, attrs = '') =>
  `<DT><A HREF="${url}"${attrs ? ` ${attrs}` : ''}>${title}</A>\n`;

function failedWith(
  t: { is: (a: unknown, b: unknown, m?: string) => void; regex: (a: string, r: RegExp) => void },
  job: JobJson,
  pattern: RegExp,
) {
  t.is(job.status, 'failed', JSON.stringify(job));
  t.regex(job.error ?? '', pattern);
}

test('an empty file fails: "The file is empty"', async (t) => {
  const { job, rows } = await importBody('');
  failedWith(t, job, /The file is empty/);
  t.is(job.format, null);
  t.is(rows.length, 0);
  const blank = await importBody('   \n\n  \t ');
  failedWith(t, blank.job, /empty/);
});

test('binary data and compressed files are refused by their content', async (t) => {
  const binary = Buffer.alloc(4096);
  for (let i = 0; i < binary.length; i++) binary[i] = (i * 7919) % 256;
  failedWith(t, (await importBody(binary)).job, /binary file/);
  const gzip = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5]);
  failedWith(t, (await importBody(gzip)).job, /gzip/);
  // A .html name does not make a PNG a bookmark file: the name is never looked at.
  const user = await aUser();
  const token = await aToken(user.id);
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    binary,
  ]);
  const upload = await uploadMultipart(app.baseUrl, token, png, {}, 'bookmarks.html');
  failedWith(t, await waitForJob(app.baseUrl, token, upload.json.id), /binary/);
});

test('the wrong format: CSV, plain text, a JSON object that is not a Collection, a page without links', async (t) => {
  failedWith(t, (await importBody('url,title\nhttps://a.example/,A\n')).job, /Unrecognised file/);
  failedWith(
    t,
    (await importBody('{"bookmarks": [{"url": "https://a.example/"}]}')).job,
    /no "items" list/,
  );
  failedWith(t, (await importBody('"just a string"')).job, /Unrecognised file/);
  const page = await importBody(
    '<!doctype html><html><body><p>Hello, no links here.</p></body></html>',
  );
  failedWith(t, page.job, /No bookmarks were found/);
  t.is(page.job.format, 'netscape');
  failedWith(
    t,
    (await importBody('<svg xmlns="http://www.w3.org/2000/svg"></svg>')).job,
    /not a bookmark export/,
  );
});

test('invalid or truncated JSON fails before anything is written', async (t) => {
  const good = fs.readFileSync(path.join(FIXTURES, 'pinboard.json'), 'utf8');
  const invalid = good.replace('"Pinboard API"', '"Pinboard API" oops');
  const broken = await importBody(invalid);
  failedWith(t, broken.job, /The JSON is invalid/);
  t.is(broken.rows.length, 0);
  t.is(broken.job.processed, 0);
  const truncated = await importBody(good.slice(0, good.length - 40));
  failedWith(t, truncated.job, /The JSON is invalid/);
  t.is(truncated.rows.length, 0);
  const collection = fs.readFileSync(path.join(FIXTURES, 'activitystreams.json'), 'utf8');
  const cut = await importBody(collection.slice(0, collection.indexOf('"tag"')));
  failedWith(t, cut.job, /The JSON is invalid/);
  t.is(cut.rows.length, 0);
});

test('truncated HTML: everything before the cut is imported once, and the job says the file was cut', async (t) => {
  const items = Array.from({ length: 50 }, (_, i) =>
    link(`https://cut.example/${i}`, `Item ${i}`, `ADD_DATE="${1_600_000_000 + i}"`),
  ).join('');
  const full = netscape(items);
  const cutAt = full.indexOf('https://cut.example/40') - 10; // inside the 41st <A> tag
  const { job, rows } = await importBody(full.slice(0, cutAt));
  t.is(job.status, 'completed', JSON.stringify(job));
  t.regex(job.error ?? '', /cut short/);
  t.is(job.created, 40);
  t.is(rows.length, 40);
  t.is(new Set(rows.map((r) => r.url)).size, 40);
});

test('javascript:, data:, relative and garbage URLs are per-record errors with index, URL, title and reason', async (t) => {
  const items = [
    link('https://ok.example/1', 'OK one'),
    link('javascript:alert(document.cookie)', 'Evil bookmarklet'),
    link('data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==', 'Data URL'),
    link('/relative/path', 'Relative'),
    link('', 'Empty'),
    link('http://', 'No host'),
    link('https://ok.example/2', 'OK two'),
  ].join('');
  const { job, rows } = await importBody(netscape(items));
  t.is(job.status, 'completed');
  t.is(job.created, 2);
  t.is(job.failed, 5);
  t.deepEqual(
    job.failures.map((f) => [f.index, f.title]),
    [
      [1, 'Evil bookmarklet'],
      [2, 'Data URL'],
      [3, 'Relative'],
      [4, 'Empty'],
      [5, 'No host'],
    ],
  );
  t.is(job.failures[0]!.url, 'javascript:alert(document.cookie)');
  t.regex(job.failures[0]!.error, /Only http:\/\/ and https:\/\//);
  t.regex(job.failures[3]!.error, /no URL/);
  t.deepEqual(rows.map((r) => r.url).sort(), ['https://ok.example/1', 'https://ok.example/2']);
});

test('a file with no valid record fails, listing why each one failed', async (t) => {
  const items = [
    link('javascript:void(0)', 'A'),
    link('data:,x', 'B'),
    link('ftp://files.example/', 'C'),
  ].join('');
  const { job, rows } = await importBody(netscape(items));
  failedWith(t, job, /None of the 3 records/);
  t.is(job.failed, 3);
  t.is(job.failures.length, 3);
  t.is(rows.length, 0);
});

test('dates in seconds, milliseconds and microseconds, and none, are all read right', async (t) => {
  const when = 1_650_000_000; // 2022-04-15
  const before = Date.now();
  const items = [
    link('https://dates.example/s', 'seconds', `ADD_DATE="${when}" LAST_MODIFIED="${when + 10}"`),
    link('https://dates.example/ms', 'milliseconds', `ADD_DATE="${when * 1000 + 123}"`),
    link('https://dates.example/us', 'microseconds', `ADD_DATE="${when * 1_000_000 + 456_789}"`),
    link('https://dates.example/none', 'none'),
    link('https://dates.example/junk', 'junk', 'ADD_DATE="yesterday" LAST_MODIFIED="-5"'),
  ].join('');
  const { job, map } = await importBody(netscape(items));
  t.is(job.created, 5);
  t.is(seconds(map.get('https://dates.example/s')!.created_at), when);
  t.is(seconds(map.get('https://dates.example/s')!.updated_at), when + 10);
  t.is(map.get('https://dates.example/ms')!.created_at.getTime(), when * 1000 + 123);
  t.is(map.get('https://dates.example/us')!.created_at.getTime(), when * 1000 + 457);
  for (const missing of ['none', 'junk']) {
    const row = map.get(`https://dates.example/${missing}`)!;
    t.true(row.created_at.getTime() >= before - 2000, `${missing} → now`);
    t.true(row.created_at.getTime() <= Date.now() + 1000);
  }
});

test('non-UTF-8 text: a Latin-1 file (claiming UTF-8, as exports do) is read as Windows-1252', async (t) => {
  const text = netscape(
    `${link('https://latin1.example/cafe', 'Café in Zürich', 'TAGS="münchen"')}<DD>Crème brûlée — “quoted”\n`,
  );
  const latin1 = Buffer.from(text.replace('—', '-').replace('“', '"').replace('”', '"'), 'latin1');
  const { job, map } = await importBody(latin1);
  t.is(job.status, 'completed', JSON.stringify(job));
  const row = map.get('https://latin1.example/cafe')!;
  t.is(row.title, 'Café in Zürich');
  t.is(row.description, 'Crème brûlée - "quoted"');
  t.deepEqual(row.tags, ['münchen']);
  const utf16 = Buffer.concat([
    Buffer.from([0xff, 0xfe]),
    Buffer.from(netscape(link('https://utf16.example/', 'Grüße')), 'utf16le'),
  ]);
  const second = await importBody(utf16);
  t.is(second.map.get('https://utf16.example/')?.title, 'Grüße');
});

test('a large UTF-8 file: characters split across read chunks stay UTF-8', async (t) => {
  // Multi-byte characters at every offset: some straddle the 64 KB chunk boundaries.
  let items = '';
  for (let i = 0; i < 8000; i++)
    items += link(`https://utf8.example/${i}`, `${'é'.repeat(i % 5)}日本語 — Ünïcødé ${i}`);
  const { job, map } = await importBody(netscape(items));
  t.is(job.status, 'completed', JSON.stringify({ ...job, failures: job.failures.length }));
  t.is(job.created, 8000);
  for (const i of [0, 1234, 4321, 7999]) {
    t.is(map.get(`https://utf8.example/${i}`)!.title, `${'é'.repeat(i % 5)}日本語 — Ünïcødé ${i}`);
  }
});

test('NUL characters past the first kilobyte are dropped, not fatal (PostgreSQL text cannot hold them)', async (t) => {
  const padding = `<!-- ${'x'.repeat(2000)} -->\n`;
  const body = netscape(
    `${padding}${link('https://nul.example/a', 'Null\u0000 title', 'TAGS="n\u0000ul,ok,ok\u0000,nul"')}<DD>desc\u0000ription\n${link('javascript:\u0000', 'bad\u0000')}`,
  );
  const { job, map } = await importBody(body);
  t.is(job.status, 'completed', JSON.stringify(job));
  const row = map.get('https://nul.example/a')!;
  t.is(row.title, 'Null title');
  t.is(row.description, 'description');
  t.deepEqual(row.tags, ['nul', 'ok'], 'one tag each, with or without NUL');
  t.is(job.failures[0]!.title, 'bad');
});

test('one enormous line: 20 000 records without a newline, a 1 MB title, a 20 000-character URL', async (t) => {
  let items = '';
  for (let i = 0; i < 20_000; i++)
    items += `<DT><A HREF="https://line.example/${i}" TAGS="t${i % 7}">Item ${i}</A>`;
  items += `<DT><A HREF="https://line.example/huge-title">${'x'.repeat(1024 * 1024)}</A>`;
  items += `<DT><A HREF="https://line.example/${'a'.repeat(20_000)}">Long URL</A>`;
  const body = netscape(items).replace(/\n/g, '');
  const { job, rows } = await importBody(body);
  t.is(job.status, 'completed', JSON.stringify({ ...job, failures: job.failures.length }));
  t.is(job.created, 20_001);
  t.is(job.failed, 1);
  t.regex(job.failures[0]!.error, /at most 10240 characters/);
  t.true(job.failures[0]!.url.length < 600, 'stored failure details are clipped');
  t.is(rows.length, 20_001);
  t.is(byUrl(rows).get('https://line.example/huge-title')!.title.length, 255);
});

test('stored failure details are capped at 1000, the count is not', async (t) => {
  const items =
    Array.from({ length: 1500 }, (_, i) => link(`javascript:${i}`, `bad ${i}`)).join('') +
    link('https://cap.example/', 'good');
  const { job, rows } = await importBody(netscape(items));
  t.is(job.status, 'completed');
  t.is(job.failed, 1500);
  t.is(job.failures.length, 1000);
  t.is(job.failures.at(-1)!.index, 999);
  t.is(rows.length, 1);
});

test('hostile JSON: deep nesting fails cleanly; __proto__ keys do not pollute', async (t) => {
  const deep = `[${'['.repeat(100_000)}${']'.repeat(100_000)}]`;
  failedWith(t, (await importBody(deep)).job, /nested more than/);
  const proto =
    '[{"href":"https://proto.example/","description":"P","__proto__":{"polluted":true},"tags":"a"}]';
  const { job, rows } = await importBody(proto);
  t.is(job.created, 1);
  t.is(rows[0]!.title, 'P');
  t.is(({} as Record<string, unknown>).polluted, undefined);
});

// Serial (ava runs it before the others): another test's upload in flight
// (its file written, its job row not yet) would look like an orphan here.
test.serial(
  'an upload over IMPORT_MAX_BYTES is a clear 413 and leaves no file behind',
  async (t) => {
    const user = await aUser();
    const token = await aToken(user.id);
    const big = Buffer.alloc(9 * 1024 * 1024, 'a');
    const raw = await uploadRaw(app.baseUrl, token, big);
    t.is(raw.status, 413);
    t.regex(JSON.stringify(raw.json), /larger than the import limit of 8 MB \(IMPORT_MAX_BYTES\)/);
    const multipart = await uploadMultipart(app.baseUrl, token, big);
    t.is(multipart.status, 413);
    const uploads = path.join(dataDir, 'uploads');
    const leftovers = fs.existsSync(uploads) ? fs.readdirSync(uploads) : [];
    const jobs = await app.db.knex('import_jobs').where('user_id', user.id);
    t.is(jobs.length, 0);
    for (const file of leftovers) {
      t.true(
        (await app.db.knex('import_jobs').where('file_path', path.join(uploads, file))).length > 0,
        `orphan upload ${file}`,
      );
    }
  },
);
