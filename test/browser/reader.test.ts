/**
 * The reader in a real headless Chromium, against the real app with its
 * worker and two feeds served on 127.0.0.1: follow them, read the combined
 * list, move with j/k, toggle read with m, open with o, bookmark with b, and
 * "Poll now" showing the new item without a reload. Then the same pages with
 * JavaScript off: every action still works as a plain form.
 * One browser for the file, one context each.
 */
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { Feed } from '../../src/feeds';
import { countUnread } from '../../src/reader';
import { User } from '../../src/users';
import { type FixtureServer, serveFeed, startFixtureServer } from '../fetcher/fixture-server';
import { startTestApp, type TestApp } from '../helpers/app';
import { launchChromium } from '../helpers/chromium';

let app: TestApp;
let server: FixtureServer;
let browser: Browser;

/** An RSS feed of items (title, day of March 2025), newest last in the file. */
function rss(title: string, items: ReadonlyArray<readonly [string, number]>): string {
  const entries = items
    .map(
      ([name, day]) =>
        `<item><guid>${name}</guid><title>${name}</title><link>${server.url(`/post/${name}`)}</link>` +
        `<description>About ${name}.</description>` +
        `<pubDate>${new Date(Date.UTC(2025, 2, day)).toUTCString()}</pubDate></item>`,
    )
    .join('');
  return `<rss version="2.0"><channel><title>${title}</title>${entries}</channel></rss>`;
}

const ALPHA: ReadonlyArray<readonly [string, number]> = [
  ['alpha-1', 1],
  ['alpha-3', 3],
  ['alpha-5', 5],
];

test.before(async () => {
  server = await startFixtureServer();
  server.route('/alpha.xml', serveFeed(rss('Alpha', ALPHA)));
  server.route(
    '/beta.xml',
    serveFeed(
      rss('Beta', [
        ['beta-2', 2],
        ['beta-4', 4],
      ]),
    ),
  );
  for (const name of ['alpha-1', 'alpha-3', 'alpha-5', 'alpha-6', 'beta-2', 'beta-4']) {
    server.route(
      `/post/${name}`,
      serveFeed(`<html><head><title>${name} page</title></head><body>${name}</body></html>`, {
        contentType: 'text/html',
      }),
    );
  }
  app = await startTestApp({
    FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
    READER_POLL_NOW_MIN_INTERVAL: '0',
  });
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
  await server?.close();
});

const url = (path: string) => `${app.baseUrl}${path}`;

async function submit(page: Page, selector: string) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

async function waitUntil(what: string, check: () => Promise<boolean>) {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Strings, not functions: this file is compiled without the DOM types. */
const navUnread = (page: Page) => page.textContent('[data-nav-unread]');
const currentTitle = (page: Page) =>
  page.textContent('[data-item-id].is-current h2').then((text) => text?.trim());

test.serial('follow two feeds, read them in one list, with the keyboard and without', async (t) => {
  const page = await (
    await browser.newContext({ viewport: { width: 1200, height: 900 } })
  ).newPage();
  await page.goto(url('/auth/register'));
  await page.fill('input[name="username"]', 'readingbird');
  await page.fill('input[name="email"]', 'reading@example.test');
  await page.fill('input[name="password"]', 'correct horse battery');
  const confirm = page.locator('input[name="password_confirm"]');
  if ((await confirm.count()) > 0) await confirm.fill('correct horse battery');
  await submit(page, 'form[action="/auth/register"] button[type="submit"]');
  const user = (await User.query().findOne({ username: 'readingbird' }))!;

  for (const path of ['/alpha.xml', '/beta.xml']) {
    await page.goto(url('/feeds'));
    await page.fill('form.feed-add input[name="url"]', server.url(path));
    await submit(page, 'form.feed-add button[type="submit"]');
  }
  await waitUntil('the first polls', async () => {
    const feeds = await Feed.query().whereIn('url', [
      server.url('/alpha.xml'),
      server.url('/beta.xml'),
    ]);
    return feeds.length === 2 && feeds.every((feed) => feed.last_polled_at !== null);
  });

  await page.goto(url('/reader'));
  const titles = () => page.locator('[data-testid="item"] h2').allTextContents();
  t.deepEqual(
    await titles(),
    ['alpha-5', 'beta-4', 'alpha-3', 'beta-2', 'alpha-1'],
    'newest first',
  );
  t.is(await navUnread(page), '5');
  t.regex((await page.textContent('[data-testid="item"]')) ?? '', /Alpha[\s\S]*About alpha-5\./);

  // j/k move; m toggles read (the count in the navigation follows, no reload).
  await page.keyboard.press('j');
  t.is(await currentTitle(page), 'alpha-5');
  await page.keyboard.press('j');
  await page.keyboard.press('j');
  await page.keyboard.press('k');
  t.is(await currentTitle(page), 'beta-4');
  await page.keyboard.press('m');
  await page.waitForSelector('[data-item-id].is-current.is-read');
  await page.waitForSelector('[data-nav-unread]:text-is("4")');
  t.deepEqual(await countUnread(app.db.knex, user.id), { count: 4, more: false });
  await page.keyboard.press('m');
  await page.waitForSelector('[data-nav-unread]:text-is("5")');
  t.deepEqual(await countUnread(app.db.knex, user.id), { count: 5, more: false });

  // b: the bookmark form, prefilled with the item's link and title.
  await Promise.all([page.waitForURL(/\/bookmarks\/new\?/), page.keyboard.press('b')]);
  t.is(await page.inputValue('input[name="url"]'), server.url('/post/beta-4'));
  t.is(await page.inputValue('input[name="title"]'), 'beta-4');

  // o: the item itself, which marks it read.
  await page.goto(url('/reader'));
  await page.keyboard.press('j');
  await Promise.all([page.waitForURL(/\/reader\/items\/\d+$/), page.keyboard.press('o')]);
  t.is((await page.textContent('h1'))?.trim(), 'alpha-5');
  t.regex((await page.textContent('.entry-content')) ?? '', /About alpha-5\./);
  t.is(await navUnread(page), '4');
  // j on an item reads on: the next unread one (beta-4 is unread again).
  await Promise.all([page.waitForURL(/\/reader\/items\/\d+$/), page.keyboard.press('j')]);
  t.is((await page.textContent('h1'))?.trim(), 'beta-4');
  t.is(await navUnread(page), '3');

  // Poll now: the feed gets a new item; the page shows it landed without reloading.
  server.route('/alpha.xml', serveFeed(rss('Alpha', [...ALPHA, ['alpha-6', 6]])));
  await page.goto(url('/reader'));
  await page.evaluate('window.stillTheSamePage = true');
  const alpha = (await Feed.query().findOne({ url: server.url('/alpha.xml') }))!;
  const before = server.requestsTo('/alpha.xml').length;
  await page.click(`[data-testid="feed-${alpha.id}"] form.poll-form button`);
  // Selectors, not a predicate: the page's CSP forbids the eval a predicate needs.
  await page.waitForSelector('[data-poll-status]:has-text("1 new item")', { timeout: 30_000 });
  t.regex((await page.textContent('[data-poll-status]')) ?? '', /^Alpha: 1 new item\. Show them$/);
  t.true(await page.evaluate('window.stillTheSamePage === true'), 'no reload');
  t.is(server.requestsTo('/alpha.xml').length, before + 1, 'polled once, by the worker');
  t.is(await navUnread(page), '4');
  t.is(await page.textContent(`[data-feed-unread="${alpha.id}"]`), '3');
  await submit(page, '[data-poll-status] a');
  t.is((await titles())[0], 'alpha-6');
  await page.screenshot({ path: '/tmp/pebbling-reader.png', fullPage: true });

  // Mark everything read: the list is empty, the count gone.
  await submit(page, '[data-testid="mark-all-read"]');
  t.regex((await page.textContent('[data-testid="no-unread"]')) ?? '', /Nothing unread here/);
  t.true(await page.locator('[data-nav-unread]').isHidden());

  // Without JavaScript: the same forms, answered with a redirect back.
  const plain = await (await browser.newContext({ javaScriptEnabled: false })).newPage();
  await plain.goto(url('/auth/login'));
  await plain.fill('input[name="username"]', 'readingbird');
  await plain.fill('input[name="password"]', 'correct horse battery');
  await submit(plain, 'form[action="/auth/login"] button[type="submit"]');
  await plain.goto(url('/reader?show=all'));
  const first = plain.locator('[data-testid="item"]').first();
  t.is(await first.locator('form.item-toggle button').textContent(), 'Mark unread');
  await submit(plain, '[data-testid="item"] >> nth=0 >> form.item-toggle button');
  t.is(new URL(plain.url()).search, '?show=all', 'back where it was');
  t.is(
    await plain
      .locator('[data-testid="item"]')
      .first()
      .locator('form.item-toggle button')
      .textContent(),
    'Mark read',
  );
  t.is(await navUnread(plain), '1');
  await submit(plain, '[data-testid="poll-all"]');
  t.regex((await plain.textContent('.flash')) ?? '', /Polling 2 feeds now/);
});
