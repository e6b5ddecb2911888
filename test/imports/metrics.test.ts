/**
 * Import and export metrics move by exactly the right amounts: per job, per
 * record result, per committed row, and the in-flight gauge returns to zero.
 * Serial: the deltas are read from one process-wide registry.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';
import { getJob, uploadRaw, waitForJob } from './support';

let app: TestApp;
let dataDir: string;
test.before(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-import-metrics-'));
  app = await startTestApp({
    DATA_DIR: dataDir,
    IMPORT_BATCH_SIZE: '100',
    METRICS_ID_LABELS: 'true',
  });
});
test.after.always(async () => {
  await app?.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

type Labels = Record<string, string | number>;

async function deltas(action: () => Promise<void>, series: Array<[string, Labels]>) {
  const before = await scrape(app.baseUrl);
  await action();
  const after = await scrape(app.baseUrl);
  return series.map(
    ([name, labels]) => metricValue(after, name, labels) - metricValue(before, name, labels),
  );
}

const link = (url: string, tags = '') => `<DT><A HREF="${url}" TAGS="${tags}">${url}</A>\n`;

test.serial(
  'a completed import: one job, records by result, rows, bookmarks created, the gauge back to 0',
  async (t) => {
    const user = await aUser();
    const token = await aToken(user.id);
    const body = `<DL>${[
      link('https://m.example/1', 'red,green'),
      link('https://m.example/2', 'red'),
      link('https://m.example/3', 'blue'),
      link('https://m.example/4'),
      link('https://m.example/5'),
      link('https://m.example/1/'), // the same URL once normalised: skipped
      link('javascript:1'),
      link('data:,2'),
    ].join('')}</DL>`;
    const f = 'netscape';
    const [
      jobs,
      duration,
      created,
      skipped,
      failed,
      updated,
      bookmarks,
      rowsInserted,
      tagsInserted,
      inFlight,
    ] = await deltas(async () => {
      const upload = await uploadRaw(app.baseUrl, token, body);
      const job = await waitForJob(app.baseUrl, token, upload.json.id);
      t.is(job.status, 'completed');
    }, [
      ['bookmark_imports_total', { user_id: user.id, format: f, status: 'completed' }],
      ['bookmark_import_duration_seconds_count', { format: f }],
      ['bookmark_import_items_total', { format: f, result: 'created' }],
      ['bookmark_import_items_total', { format: f, result: 'skipped' }],
      ['bookmark_import_items_total', { format: f, result: 'failed' }],
      ['bookmark_import_items_total', { format: f, result: 'updated' }],
      ['bookmarks_created_total', { user_id: user.id, source: 'import' }],
      ['model_inserts_total', { model: 'bookmark' }],
      ['model_inserts_total', { model: 'tag' }],
      ['bookmark_import_items_processed', {}],
    ]);
    t.deepEqual(
      {
        jobs,
        duration,
        created,
        skipped,
        failed,
        updated,
        bookmarks,
        rowsInserted,
        tagsInserted,
        inFlight,
      },
      {
        jobs: 1,
        duration: 1,
        created: 5,
        skipped: 1,
        failed: 2,
        updated: 0,
        bookmarks: 5,
        rowsInserted: 5,
        tagsInserted: 3,
        inFlight: 0,
      },
    );

    const [overwritten, updates, updatedRows, createdAgain, importCreated] =
      await deltas(async () => {
        const again = `<DL>${link('https://m.example/1', 'red')}${link('https://m.example/2', 'yellow')}${link('https://m.example/6')}</DL>`;
        const upload = await uploadRaw(app.baseUrl, token, again, '?duplicates=overwrite');
        const job = await waitForJob(app.baseUrl, token, upload.json.id);
        t.is(job.status, 'completed', JSON.stringify(job));
      }, [
        ['bookmark_import_items_total', { format: f, result: 'updated' }],
        ['bookmarks_updated_total', { user_id: user.id, operation: 'import_overwrite' }],
        ['model_updates_total', { model: 'bookmark' }],
        ['bookmarks_created_total', { user_id: user.id, source: 'import' }],
        ['bookmark_import_items_total', { format: f, result: 'created' }],
      ]);
    t.deepEqual([overwritten, updates, updatedRows, createdAgain, importCreated], [2, 2, 2, 1, 1]);
  },
);

test.serial(
  'a failed import counts once, as format "unknown" when the format was never known',
  async (t) => {
    const user = await aUser();
    const token = await aToken(user.id);
    const [failedUnknown, completed, items] = await deltas(async () => {
      const upload = await uploadRaw(app.baseUrl, token, Buffer.from([0, 0, 0, 1]));
      t.is((await waitForJob(app.baseUrl, token, upload.json.id)).status, 'failed');
    }, [
      ['bookmark_imports_total', { user_id: user.id, format: 'unknown', status: 'failed' }],
      ['bookmark_imports_total', { user_id: user.id, status: 'completed' }],
      ['bookmark_import_items_total', {}],
    ]);
    t.deepEqual([failedUnknown, completed, items], [1, 0, 0]);
  },
);

test.serial(
  'while an import runs the gauge shows its processed items; a cancel counts once and the gauge returns to 0',
  async (t) => {
    const user = await aUser();
    const token = await aToken(user.id);
    let items = '';
    for (let i = 0; i < 20_000; i++) items += link(`https://gauge.example/${i}`);
    const before = await scrape(app.baseUrl);
    const upload = await uploadRaw(app.baseUrl, token, `<DL>${items}</DL>`);
    let seen = 0;
    for (let i = 0; i < 400 && seen === 0; i++) {
      seen = metricValue(await scrape(app.baseUrl), 'bookmark_import_items_processed');
      if (seen === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    t.true(seen > 0 && seen % 100 === 0, `the gauge moves per batch of 100 (saw ${seen})`);
    const client = new TestClient(app.baseUrl);
    await client.login(user.username);
    t.is((await client.post('/import/cancel', { id: String(upload.json.id) })).status, 302);
    // The worker notices at its next batch and lets go of its items.
    for (let i = 0; i < 200; i++) {
      if (metricValue(await scrape(app.baseUrl), 'bookmark_import_items_processed') === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const job = await getJob(app.baseUrl, token, upload.json.id);
    t.is(job.status, 'cancelled');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const after = await scrape(app.baseUrl);
    t.is(metricValue(after, 'bookmark_import_items_processed'), 0);
    const labels = { user_id: user.id, format: 'netscape' };
    t.is(
      metricValue(after, 'bookmark_imports_total', { ...labels, status: 'cancelled' }) -
        metricValue(before, 'bookmark_imports_total', { ...labels, status: 'cancelled' }),
      1,
    );
    t.is(
      metricValue(after, 'bookmark_imports_total', labels) -
        metricValue(before, 'bookmark_imports_total', labels),
      1,
      'no other status',
    );
    const processed = job.processed;
    t.is(
      metricValue(after, 'bookmark_import_items_total', { format: 'netscape', result: 'created' }) -
        metricValue(before, 'bookmark_import_items_total', {
          format: 'netscape',
          result: 'created',
        }),
      processed,
      'every committed record counted, nothing more',
    );
  },
);

test.serial('exports count once each, by format, with their duration', async (t) => {
  const user = await aUser();
  const token = await aToken(user.id);
  const [netscape, opml, json, netscapeDuration] = await deltas(async () => {
    for (const file of ['netscape.html', 'bookmarks.opml', 'netscape.html']) {
      const response = await fetch(`${app.baseUrl}/bookmarks/export/${file}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      await response.text();
    }
  }, [
    ['bookmark_exports_total', { format: 'netscape' }],
    ['bookmark_exports_total', { format: 'opml' }],
    ['bookmark_exports_total', { format: 'activitystreams' }],
    ['bookmark_export_duration_seconds_count', { format: 'netscape' }],
  ]);
  t.deepEqual([netscape, opml, json, netscapeDuration], [2, 1, 0, 2]);
});
