/**
 * /status in a real headless Chromium (as test/browser/bookmarks.test.ts),
 * against the all-in-one app: after a known workload — two bookmarks saved
 * with the form, two feeds polled by the worker, one of them failing — the
 * charts show those numbers, the failing feed is listed with its error and
 * next try, and "Retry now" (a plain form, no script) has it polled again.
 * On a 390 px phone nothing scrolls sideways and the failing feeds are cards
 * of labelled values. Screenshots go to /tmp for a look.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { queueFeedPolls } from '../../src/feeds';
import { setAdmin } from '../../src/status';
import { startTestApp, type TestApp } from '../helpers/app';
import { launchChromium } from '../helpers/chromium';
import { submit } from './support';

let app: TestApp;
let browser: Browser;
let context: BrowserContext;
let site: http.Server;
let base: string;

test.before(async () => {
  site = http.createServer((req, res) => {
    if (req.url !== '/good.xml') return void res.writeHead(404).end('gone fishing');
    res
      .writeHead(200, { 'content-type': 'application/rss+xml' })
      .end(
        `<?xml version="1.0"?><rss version="2.0"><channel><title>Good feed</title><link>http://x/</link><description>d</description>` +
          `<item><title>A</title><link>http://x/a</link><guid>a</guid></item>` +
          `<item><title>B</title><link>http://x/b</link><guid>b</guid></item></channel></rss>`,
      );
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;
  app = await startTestApp({ FETCH_ALLOW_PRIVATE_NETWORKS: 'true' });
  browser = await launchChromium();
  context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: false,
  });
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
  site?.close();
});

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const legend = (page: Page, chart: string, label: string) =>
  page.textContent(`[data-testid="legend-${chart}-${label}"]`);

test('the status page charts a known workload and retries a failing feed', async (t) => {
  const page = await context.newPage();
  const url = (p: string) => `${app.baseUrl}${p}`;
  await page.goto(url('/auth/register'));
  await page.fill('input[name="username"]', 'ada');
  await page.fill('input[name="email"]', 'ada@example.test');
  await page.fill('input[name="password"]', 'correct horse battery');
  const confirm = page.locator('input[name="password_confirm"]');
  if ((await confirm.count()) > 0) await confirm.fill('correct horse battery');
  await submit(page, 'form[action="/auth/register"] button[type="submit"]');
  t.true(await setAdmin(app.db.knex, 'ada', true));

  for (const n of [1, 2]) {
    await page.goto(url('/bookmarks/new'));
    await page.fill('input[name="url"]', `https://status.invalid/${n}`);
    await submit(page, 'form.bookmark-form button[type="submit"]');
  }
  // Two feeds she follows, polled by the worker: one answers, one is a 404.
  const user = await app.db.knex('users').where('username', 'ada').first('id');
  const feeds = await app.db
    .knex('feeds')
    .insert([{ url: `${base}/good.xml` }, { url: `${base}/missing.xml` }])
    .returning('id');
  const [good, missing] = feeds.map((row: { id: number }) => Number(row.id));
  await app.db
    .knex('feed_subscriptions')
    .insert([good, missing].map((feed_id) => ({ user_id: user.id, feed_id })));
  await queueFeedPolls(app.db.knex, [good!, missing!]);
  const polled = async (id: number) =>
    (await app.db.knex('feeds').where('id', id).first('last_polled_at')).last_polled_at;
  await waitFor('both polls', async () =>
    Boolean((await polled(good!)) && (await polled(missing!))),
  );
  // Each process writes its minute of history once a minute, the reporter
  // compacts every 15 s: do both now rather than wait.
  await app.running.databaseMetrics.flushHistory();
  await app.running.databaseMetrics.reporter.tick();

  await page.goto(url('/status'));
  t.regex((await page.textContent('[data-testid="scope"]')) ?? '', /for everyone/);
  t.regex((await legend(page, 'bookmarks-created', 'web')) ?? '', /web\s+2/);
  t.regex((await legend(page, 'feed-polls', 'success')) ?? '', /success\s+1/);
  t.regex((await legend(page, 'feed-polls', 'failed')) ?? '', /failed\s+1/);
  t.regex((await legend(page, 'feed-items', 'all')) ?? '', /all\s+2/);
  t.regex((await legend(page, 'poll-duration', 'observations')) ?? '', /observations\s+2/);
  t.regex((await legend(page, 'job-runs', 'success')) ?? '', /success\s+\d+/);
  // The charts are drawn: bars for the counts, points for the percentiles.
  t.is(await page.locator('[data-testid="chart-bookmarks-created"] svg rect').count(), 1);
  t.is(
    await page
      .locator('[data-testid="chart-bookmarks-created"] svg rect')
      .getAttribute('data-value'),
    '2',
  );
  t.true((await page.locator('[data-testid="chart-poll-duration"] svg circle').count()) >= 3);
  t.true((await page.locator('[data-testid="chart-http-requests"] svg rect').count()) >= 1);
  t.true((await page.locator('svg.chart').count()) >= 10);
  fs.writeFileSync(
    path.join(os.tmpdir(), 'status-page.png'),
    await page.screenshot({ fullPage: true }),
  );

  const row = page.locator(`[data-testid="failing-feed-${missing}"]`);
  t.regex((await row.textContent()) ?? '', /not_found/);
  t.regex((await row.locator('[data-testid="last-error"]').textContent()) ?? '', /404/);
  t.regex((await row.locator('[data-testid="next-try"]').textContent()) ?? '', /^in \d+ min$/);
  t.is(await page.locator(`[data-testid="failing-feed-${good}"]`).count(), 0);

  // On a 390 px phone: the charts one under the other, nothing wider than the
  // screen, and each failing feed a card whose values say what they are.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const range of ['24h', '30d']) {
    await page.goto(url(`/status?range=${range}`));
    // Strings, not functions: this file is compiled without the DOM types.
    const [scrollWidth, innerWidth] = (await page.evaluate(
      '[document.documentElement.scrollWidth, innerWidth]',
    )) as [number, number];
    t.true(
      scrollWidth <= innerWidth,
      `${range}: ${scrollWidth} px wide on a ${innerWidth} px screen`,
    );
  }
  const chartBox = await page.locator('[data-testid="chart-feed-polls"]').boundingBox();
  t.true(chartBox !== null && chartBox.width <= 390, 'a chart fits the screen');
  t.false(await page.locator('table.failing-feeds thead').isVisible(), 'no header row');
  // The label each value shows before it (the phone layout's ::before).
  const labels = await page.evaluate(
    `[...document.querySelectorAll('[data-testid="failing-feed-${missing}"] td[data-label]')]
       .map((cell) => [cell.dataset.label, getComputedStyle(cell, '::before').content])`,
  );
  t.deepEqual(labels, [
    ['Last error', '"Last error"'],
    ['Last poll', '"Last poll"'],
    ['Next try', '"Next try"'],
  ]);
  fs.writeFileSync(
    path.join(os.tmpdir(), 'status-page-phone.png'),
    await page.screenshot({ fullPage: true }),
  );
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto(url('/status'));

  const before = (await polled(missing!)) as Date;
  await submit(page, `[data-testid="failing-feed-${missing}"] button[type="submit"]`);
  t.regex((await page.textContent('.flash')) ?? '', /will be polled again now/);
  await waitFor('the retried poll', async () => ((await polled(missing!)) as Date) > before);
  t.pass();
});
