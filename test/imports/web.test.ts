/** The /import page and the imports API: upload, progress, errors, retry, cancel, options, access. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import {
  bookmarksOf,
  byUrl,
  FIXTURES,
  getJob,
  type JobJson,
  uploadMultipart,
  uploadRaw,
  waitForJob,
} from './support';

let app: TestApp;
let dataDir: string;
test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-import-web-'));
  // Small batches: a 20 000-record file takes long enough to watch and cancel.
  app = await startTestApp({ DATA_DIR: dataDir, IMPORT_BATCH_SIZE: '50' });
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function bigFile(count: number, prefix = 'big'): string {
  let items = '';
  for (let i = 0; i < count; i++) {
    items += `<DT><A HREF="https://${prefix}.example/${i}" ADD_DATE="${1_600_000_000 + i}" TAGS="a${i % 5},b">Item ${i}</A>\n`;
  }
  return `<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p>\n${items}</DL><p>\n`;
}

async function signedIn(): Promise<{ client: TestClient; username: string; id: number }> {
  const client = new TestClient(app.baseUrl);
  const username = `web${Math.random().toString(36).slice(2, 8)}`;
  const response = await client.register(username);
  if (response.status !== 302) throw new Error(`register: ${response.status}`);
  const row = await app.db.knex('users').where({ username }).first<{ id: number }>();
  return { client, username, id: row.id };
}

async function submitForm(
  client: TestClient,
  body: string | Buffer,
  fields: Record<string, string> = {},
  csrf?: string,
) {
  const form = new FormData();
  // The token is the first field, before the file, as the page's form sends it.
  form.set('_csrf', csrf ?? (await client.csrf()));
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  form.set('file', new Blob([body]), 'bookmarks.html');
  return client.request('POST', '/import/submit', { body: form });
}

interface JobRow {
  id: number;
  status: string;
  file_path: string;
}

async function latestJob(userId: number): Promise<JobRow | undefined> {
  return app.db.knex('import_jobs').where('user_id', userId).orderBy('id', 'desc').first();
}

test('the page needs a login; it shows the form with the CSRF token as its first field', async (t) => {
  const anonymous = await new TestClient(app.baseUrl).get('/import/');
  t.is(anonymous.status, 302);
  t.regex(anonymous.location ?? '', /^\/auth\/login\?next=/);
  const { client } = await signedIn();
  const page = await client.get('/import/');
  t.is(page.status, 200);
  t.regex(
    page.text,
    /action="\/import\/submit" enctype="multipart\/form-data"[^>]*>\s*(\{#[^#]*#\}\s*)?<input type="hidden" name="_csrf" value="[^"]+">/,
  );
  t.regex(page.text, /No imports yet/);
  t.notRegex(page.text, /http-equiv="refresh"/);
});

test('upload from the page: redirect, a live progress bar that refreshes itself, then the result and per-record errors', async (t) => {
  const { client, id } = await signedIn();
  const body = `${bigFile(3000, 'page')}<DT><A HREF="javascript:alert(1)">Evil</A>\n`;
  const response = await submitForm(client, body);
  t.is(response.status, 302, response.text);
  t.is(response.location, '/import/');
  const running = await client.get('/import/');
  t.regex(running.text, /<meta http-equiv="refresh" content="2">/);
  t.regex(running.text, /<progress max="\d+" value="\d+"/);
  t.regex(running.text, /Importing bookmarks\.html: progress below/);
  const job = (await latestJob(id))!;
  const token = await aToken(id);
  const ended = await waitForJob(app.baseUrl, token, job.id, { timeoutMs: 60_000 });
  t.is(ended.status, 'completed');
  const done = await client.get('/import/');
  t.notRegex(done.text, /http-equiv="refresh"/);
  t.regex(done.text, /3001<\/span> of 3001 records \(100%\)/);
  t.regex(done.text, /3000 new, 0 updated, 0 skipped, 1 failed/);
  t.regex(done.text, /javascript:alert\(1\)/);
  t.regex(done.text, /Only http:\/\/ and https:\/\/ URLs can be bookmarked/);
});

test('a multipart upload without the CSRF token is refused, and nothing is stored', async (t) => {
  const { client, id } = await signedIn();
  const response = await submitForm(client, bigFile(3), {}, 'forged-token');
  t.is(response.status, 403);
  t.is(await latestJob(id), undefined);
});

test('a form without a file says so', async (t) => {
  const { client } = await signedIn();
  const form = new FormData();
  form.set('_csrf', await client.csrf());
  form.set('duplicates', 'skip');
  const response = await client.request('POST', '/import/submit', { body: form });
  t.is(response.status, 400);
  t.regex(response.text, /Choose a file to import/);
});

test('options: skip keeps mine, overwrite replaces them; extra tags and private apply to every record', async (t) => {
  const user = await aUser();
  const token = await aToken(user.id);
  const first = `<DL><DT><A HREF="https://opt.example/a" ADD_DATE="1600000000" TAGS="old">Old A</A>\n<DD>old description\n<DT><A HREF="https://opt.example/b" TAGS="keep">Old B</A></DL>`;
  const one = await uploadMultipart(app.baseUrl, token, first, {
    tags: 'Imported  batch1',
    private: 'on',
  });
  t.is(one.status, 202);
  t.deepEqual(one.json.options, {
    duplicates: 'skip',
    tags: ['imported', 'batch1'],
    private: true,
  });
  await waitForJob(app.baseUrl, token, one.json.id);
  let rows = byUrl(await bookmarksOf(app.db.knex, user.id));
  t.deepEqual(rows.get('https://opt.example/a')!.tags, ['batch1', 'imported', 'old']);
  t.true(rows.get('https://opt.example/a')!.private);

  const second = `<DL><DT><A HREF="https://OPT.example/a/?utm_source=x" ADD_DATE="1700000000" TAGS="new">New A</A>\n<DD>new description\n<DT><A HREF="https://opt.example/c">C</A></DL>`;
  const skip = await uploadRaw(app.baseUrl, token, second, '?duplicates=skip');
  const skipped = await waitForJob(app.baseUrl, token, skip.json.id);
  t.is(skipped.created, 1);
  t.is(skipped.skipped, 1, 'the same URL, normalised, is a duplicate');
  rows = byUrl(await bookmarksOf(app.db.knex, user.id));
  t.is(rows.get('https://opt.example/a')!.title, 'Old A');

  const overwrite = await uploadRaw(app.baseUrl, token, second, '?duplicates=overwrite');
  const overwritten = await waitForJob(app.baseUrl, token, overwrite.json.id);
  t.is(overwritten.updated, 2);
  t.is(overwritten.created, 0);
  const all = await bookmarksOf(app.db.knex, user.id);
  t.is(all.length, 3, 'no second row for the same URL');
  const a = all.find((row) => row.title === 'New A')!;
  t.is(a.description, 'new description');
  t.deepEqual(a.tags, ['new']);
  t.false(a.private);
  t.is(a.created_at.getTime(), 1_700_000_000_000);
});

test('API: 401 without a token, 422 for a bad option, 404 for someone else’s import or a malformed id, a list of my imports', async (t) => {
  const none = await fetch(`${app.baseUrl}/api/v1/imports`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: bigFile(1),
  });
  t.is(none.status, 401);
  const user = await aUser();
  const token = await aToken(user.id);
  const bad = await uploadRaw(app.baseUrl, token, bigFile(1), '?duplicates=sometimes');
  t.is(bad.status, 422);
  t.regex(
    (bad.json as unknown as { error: { message: string } }).error.message,
    /duplicates is "skip" or "overwrite"/,
  );
  const ok = await uploadRaw(app.baseUrl, token, bigFile(2, 'mine'));
  t.is(ok.status, 202);
  const other = await aToken((await aUser()).id);
  const peek = await api(app.baseUrl, 'GET', `/api/v1/imports/${ok.json.id}`, other);
  t.is(peek.status, 404);
  t.is((await api(app.baseUrl, 'GET', '/api/v1/imports/999999', token)).status, 404);
  t.is((await api(app.baseUrl, 'GET', '/api/v1/imports/abc', token)).status, 404);
  // A method an address does not take: the API's JSON 405 with Allow.
  for (const [method, address, allow] of [
    ['DELETE', '/api/v1/imports', 'GET, POST'],
    ['PUT', `/api/v1/imports/${ok.json.id}`, 'GET'],
  ] as const) {
    const refused = await api(app.baseUrl, method, address, token);
    t.is(refused.status, 405, `${method} ${address}`);
    t.is(refused.headers.get('allow'), allow);
    t.is((refused.body as { error: { code: string } }).error.code, 'method_not_allowed');
  }
  const list = await api(app.baseUrl, 'GET', '/api/v1/imports', token);
  t.is(list.status, 200);
  t.deepEqual(
    (list.body as { imports: JobJson[] }).imports.map((job) => job.id),
    [ok.json.id],
  );
  // A JSON body is read by the global body parser: its text becomes the file.
  const json = await fetch(`${app.baseUrl}/api/v1/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: fs.readFileSync(path.join(FIXTURES, 'pinboard.json')),
  });
  t.is(json.status, 202);
  const job = await waitForJob(app.baseUrl, token, ((await json.json()) as JobJson).id);
  t.is(job.format, 'pinboard');
  t.is(job.created, 3);
});

test('cancel stops a running import at its next batch; what it imported stays; the upload is removed', async (t) => {
  const { client, id } = await signedIn();
  const token = await aToken(id);
  const upload = await uploadRaw(app.baseUrl, token, bigFile(20_000, 'cancel'));
  const running = await waitForJob(app.baseUrl, token, upload.json.id, {
    until: (job) => job.processed > 0,
  });
  t.true(running.processed < 20_000, 'still running');
  t.regex(
    (await client.get('/import/')).text,
    /<button type="submit" class="danger">Cancel<\/button>/,
  );
  const cancel = await client.post('/import/cancel', { id: String(upload.json.id) });
  t.is(cancel.status, 302);
  const cancelled = await getJob(app.baseUrl, token, upload.json.id);
  t.is(cancelled.status, 'cancelled');
  await new Promise((resolve) => setTimeout(resolve, 500));
  const after = await getJob(app.baseUrl, token, upload.json.id);
  t.is(after.status, 'cancelled');
  t.true(after.processed < 20_000);
  const rows = await bookmarksOf(app.db.knex, id);
  t.is(rows.length, after.created, 'the rows match the committed count');
  t.false(fs.existsSync((await latestJob(id))!.file_path));
  const again = await client.post('/import/cancel', { id: String(upload.json.id) });
  t.is(again.status, 409);
});

test('retry: a failed import keeps its upload and runs again', async (t) => {
  const { client, id } = await signedIn();
  const token = await aToken(id);
  const upload = await uploadRaw(app.baseUrl, token, Buffer.from([0, 1, 2, 3, 0, 0]));
  const failed = await waitForJob(app.baseUrl, token, upload.json.id);
  t.is(failed.status, 'failed');
  const page = await client.get('/import/');
  t.regex(page.text, />Retry<\/button>/);
  const row = (await latestJob(id))!;
  t.true(fs.existsSync(row.file_path), 'kept for a retry');
  // Whatever was wrong is fixed (here: the stored file), and the person retries.
  fs.writeFileSync(row.file_path, bigFile(10, 'retry'));
  const retry = await client.post('/import/retry', { id: String(upload.json.id) });
  t.is(retry.status, 302);
  const done = await waitForJob(app.baseUrl, token, upload.json.id);
  t.is(done.status, 'completed', JSON.stringify(done));
  t.is(done.created, 10);
  t.is(done.error, null);
  t.is((await client.post('/import/retry', { id: String(upload.json.id) })).status, 409);
  const stranger = await signedIn();
  t.is((await stranger.client.post('/import/retry', { id: String(upload.json.id) })).status, 404);
});
