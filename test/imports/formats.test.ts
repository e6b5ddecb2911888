import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken, aUser } from '../helpers/factories';
import { bookmarksOf, byUrl, FIXTURES, seconds, uploadMultipart, waitForJob } from './support';

let app: TestApp;
let dataDir: string;
test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-import-'));
  app = await startTestApp({ DATA_DIR: dataDir });
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function importFixture(name: string, fields: Record<string, string> = {}) {
  const user = await aUser();
  const token = await aToken(user.id);
  const body = fs.readFileSync(path.join(FIXTURES, name));
  const upload = await uploadMultipart(app.baseUrl, token, body, fields, name);
  if (upload.status !== 202)
    throw new Error(`upload answered ${upload.status}: ${JSON.stringify(upload.json)}`);
  const job = await waitForJob(app.baseUrl, token, upload.json.id);
  const rows = await bookmarksOf(app.db.knex, user.id);
  return { user, token, job, rows, map: byUrl(rows) };
}

test('Chrome-style export: every link in nested folders, dates in seconds, URLs checked', async (t) => {
  const { job, rows, map } = await importFixture('chrome.html');
  t.is(job.status, 'completed', JSON.stringify(job));
  t.is(job.format, 'netscape');
  t.is(job.total, 5);
  t.is(job.processed, 5);
  t.is(job.created, 4);
  t.is(job.failed, 1);
  t.deepEqual(
    job.failures.map((f) => [f.index, f.url, f.title]),
    [[4, 'chrome://settings/', 'Settings']],
  );
  t.regex(job.failures[0]!.error, /Only http/);
  t.is(rows.length, 4);
  const mdn = map.get('https://developer.mozilla.org/en-US/')!;
  t.is(mdn.title, 'MDN Web Docs');
  t.is(seconds(mdn.created_at), 1600000000);
  t.is(seconds(mdn.updated_at), 1600000000, 'no LAST_MODIFIED: the add date');
  const article = map.get('https://www.example.com/articles/one?utm_source=feed&b=2&a=1')!;
  t.is(article.title, 'Article one & friends');
  t.truthy(map.get('https://news.ycombinator.com/'), 'three folders deep');
  const example = map.get('http://example.org/path/')!;
  t.is(example.title, 'Example org', 'white space in titles collapsed');
  t.false(example.private);
});

test('Firefox-style export: tags, descriptions, LAST_MODIFIED, place: URLs fail, duplicates in the file skipped', async (t) => {
  const { job, map, rows } = await importFixture('firefox.html');
  t.is(job.status, 'completed', JSON.stringify(job));
  t.is(job.created, 3);
  t.is(job.skipped, 1, 'the same URL twice in the file');
  t.is(job.failed, 1);
  t.is(job.failures[0]!.url, 'place:parent=menu________&sort=12&maxResults=10');
  t.is(rows.length, 3);
  const help = map.get('https://support.mozilla.org/products/firefox')!;
  t.deepEqual(help.tags, ['firefox', 'help']);
  t.is(help.description, 'Firefox support <pages> & more');
  t.is(seconds(help.updated_at), 1691000500);
  const rust = map.get('https://www.rust-lang.org/')!;
  t.is(rust.title, 'Rust Programming Language', 'the first occurrence wins');
  t.deepEqual(rust.tags, ['programming', 'rust']);
  t.is(
    rust.description,
    'A language empowering everyone\nto build reliable and efficient software.',
  );
});

test('Pinboard HTML: PRIVATE, tags, DD', async (t) => {
  const { job, map } = await importFixture('pinboard.html');
  t.is(job.status, 'completed');
  t.is(job.created, 3);
  const howto = map.get('https://pinboard.in/howto/')!;
  t.deepEqual(howto.tags, ['howto', 'pinboard']);
  t.is(howto.description, 'The manual.');
  t.false(howto.private);
  t.true(map.get('https://example.net/secret')!.private);
  t.deepEqual(map.get('https://example.net/untagged')!.tags, []);
});

test('linkding: escaped markup and quotes, multi-line descriptions, privacy', async (t) => {
  const { job, map } = await importFixture('linkding.html');
  t.is(job.status, 'completed');
  t.is(job.created, 2);
  const quoted = map.get('https://example.com/%22quoted%22')!;
  t.is(quoted.title, 'Title with <b>markup</b> & "quotes"');
  t.is(quoted.description, 'Line one\nLine two');
  t.true(quoted.private);
  t.is(seconds(map.get('https://github.com/sissbruecker/linkding')!.updated_at), 1640000900);
});

test('Shaarli export', async (t) => {
  const { job, map } = await importFixture('shaarli.html');
  t.is(job.status, 'completed');
  t.is(job.created, 2);
  t.deepEqual(map.get('https://shaarli.readthedocs.io/')!.tags, ['docs', 'shaarli']);
  t.true(map.get('https://example.org/private-note')!.private);
  t.is(map.get('https://example.org/private-note')!.description, 'Only for me.');
});

test('Pocket export (ul/li, time_added, tags)', async (t) => {
  const { job, map } = await importFixture('pocket.html');
  t.is(job.status, 'completed', JSON.stringify(job));
  t.is(job.format, 'netscape');
  t.is(job.created, 3);
  const one = map.get('https://getpocket.com/explore/item/one')!;
  t.deepEqual(one.tags, ['longform', 'reading']);
  t.is(seconds(one.created_at), 1580000000);
  t.is(map.get('https://example.com/archived')!.title, 'Archived one');
});

test('Pinboard JSON: title/notes/tags/time/shared; javascript: fails; a missing time is now', async (t) => {
  const before = Date.now();
  const { job, map } = await importFixture('pinboard.json');
  t.is(job.status, 'completed', JSON.stringify(job));
  t.is(job.format, 'pinboard');
  t.is(job.total, 4);
  t.is(job.created, 3);
  t.is(job.failed, 1);
  t.is(job.failures[0]!.url, 'javascript:alert(1)');
  const api = map.get('https://pinboard.in/api/')!;
  t.is(api.title, 'Pinboard API');
  t.is(api.description, 'Docs for the API');
  t.deepEqual(api.tags, ['api', 'pinboard']);
  t.is(api.created_at.toISOString(), '2019-05-01T10:00:00.000Z');
  t.true(map.get('https://example.com/private-json')!.private);
  const undated = map.get('https://example.com/no-time')!;
  t.true(undated.created_at.getTime() >= before - 1000);
});

test('ActivityStreams JSON: Link objects, feedUrl, Hashtag objects, data: URLs fail', async (t) => {
  const { job, map } = await importFixture('activitystreams.json');
  t.is(job.status, 'completed', JSON.stringify(job));
  t.is(job.format, 'activitystreams');
  t.is(job.created, 2);
  t.is(job.failed, 1);
  t.regex(job.failures[0]!.url, /^data:/);
  const spec = map.get('https://www.w3.org/TR/activitystreams-core/')!;
  t.is(spec.description, 'The core spec');
  t.deepEqual(spec.tags, ['spec', 'w3c']);
  t.is(spec.created_at.toISOString(), '2021-03-04T05:06:07.000Z');
  t.is(spec.updated_at.toISOString(), '2022-01-02T03:04:05.000Z');
  const blog = map.get('https://blog.example.com/')!;
  t.is(blog.feed_url, 'https://blog.example.com/feed.xml');
  t.deepEqual(blog.tags, ['blogs']);
});

test.serial('the uploaded file is deleted once the import completed', async (t) => {
  await importFixture('pinboard.html');
  t.deepEqual(fs.readdirSync(path.join(dataDir, 'uploads')), []);
});
