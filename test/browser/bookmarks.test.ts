/**
 * The everyday flow in a real headless Chromium (Debian's /usr/bin/chromium,
 * driven by playwright-core): register, log out and in, add a bookmark with
 * tags, find it by search, edit it, delete it. No JavaScript on our side is
 * needed for any of it. Screenshots of the list on a phone, light and dark,
 * go to /tmp for a look.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { type BrowserContext, chromium } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium';
import { submit } from './support';

let app: TestApp;
let context: BrowserContext;
let profileDir: string;

test.before(async () => {
  app = await startTestApp({}, 'web');
  profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-chromium-'));
  // A persistent context on a fresh directory is Chromium's --user-data-dir.
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    headless: true,
    viewport: { width: 390, height: 844 },
    javaScriptEnabled: false,
  });
});
test.after.always(async () => {
  await context?.close();
  if (profileDir) fs.rmSync(profileDir, { recursive: true, force: true });
  await app?.stop();
});

test('register, log in, add, search, edit and delete a bookmark', async (t) => {
  const page = await context.newPage();
  const url = (p: string) => `${app.baseUrl}${p}`;

  await page.goto(url('/auth/register'));
  await page.fill('input[name="username"]', 'browserbird');
  await page.fill('input[name="email"]', 'bird@example.test');
  await page.fill('input[name="password"]', 'correct horse battery');
  const confirm = page.locator('input[name="password_confirm"]');
  if ((await confirm.count()) > 0) await confirm.fill('correct horse battery');
  await submit(page, 'form[action="/auth/register"] button[type="submit"]');
  t.is(new URL(page.url()).pathname, '/bookmarks/new');

  await submit(page, 'form[action="/auth/logout"] button');
  await page.goto(url('/auth/login'));
  await page.fill('input[name="username"]', 'browserbird');
  await page.fill('input[name="password"]', 'correct horse battery');
  await submit(page, 'form[action="/auth/login"] button[type="submit"]');
  t.is(new URL(page.url()).pathname, '/u/browserbird');
  t.regex((await page.textContent('main')) ?? '', /You have no bookmarks yet/);

  await page.goto(url('/bookmarks/new'));
  await page.fill('input[name="url"]', 'https://browser.invalid/field-guide');
  await page.fill('input[name="title"]', 'A field guide to pebbles');
  await page.fill('textarea[name="description"]', 'Smooth, round, collected on walks.');
  await page.fill('input[name="tags"]', 'geology, walks');
  await submit(page, 'form.bookmark-form button[type="submit"]');
  t.is(new URL(page.url()).pathname, '/u/browserbird');
  t.regex((await page.textContent('.flash')) ?? '', /Bookmark saved/);
  const item = page.locator('[data-testid="bookmark"]');
  t.is(await item.count(), 1);
  t.deepEqual(await item.locator('.tags a').allTextContents(), ['geology', 'walks']);

  // A second one, so the search has something to leave out.
  await page.goto(url('/bookmarks/new'));
  await page.fill('input[name="url"]', 'https://browser.invalid/other');
  await page.fill('input[name="title"]', 'Something else');
  await submit(page, 'form.bookmark-form button[type="submit"]');

  await page.fill('form.filters input[name="q"]', 'PEBBLES');
  await submit(page, 'form.filters button[type="submit"]');
  t.regex(page.url(), /[?&]q=PEBBLES/);
  t.deepEqual(await page.locator('[data-testid="bookmark"] h2').allTextContents(), [
    'A field guide to pebbles',
  ]);

  await submit(page, '[data-testid="bookmark"] a:text("Edit")');
  t.is(await page.inputValue('input[name="title"]'), 'A field guide to pebbles');
  await page.fill('input[name="title"]', 'The field guide to pebbles');
  await page.fill('input[name="tags"]', 'geology beaches');
  await page.check('input[name="private"]');
  await submit(page, 'form.bookmark-form button[type="submit"]');
  t.regex((await page.textContent('.flash')) ?? '', /Bookmark updated/);
  const edited = page.locator('[data-testid="bookmark"]', { hasText: 'The field guide' });
  t.deepEqual(await edited.locator('.tags a').allTextContents(), ['beaches', 'geology']);
  t.is(await edited.locator('.badge').textContent(), 'Private');

  // The list as a phone shows it, light and dark.
  await page.goto(url('/u/browserbird'));
  await page.screenshot({ path: '/tmp/pebbling-list-phone-light.png', fullPage: true });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.screenshot({ path: '/tmp/pebbling-list-phone-dark.png', fullPage: true });
  // Strings, not functions: this file is compiled without the DOM types.
  const background = await page.evaluate('getComputedStyle(document.body).backgroundColor');
  t.is(background, 'rgb(20, 20, 22)', 'dark mode uses the dark palette');
  const overflow = await page.evaluate(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  t.is(overflow, 0, 'nothing is wider than the phone');
  await page.emulateMedia({ colorScheme: 'light' });

  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    edited.locator('a:text("Delete")').click(),
  ]);
  t.regex((await page.textContent('h1')) ?? '', /Delete this bookmark\?/);
  await submit(page, 'form.actions button.danger');
  t.regex((await page.textContent('.flash')) ?? '', /Bookmark deleted/);
  t.deepEqual(await page.locator('[data-testid="bookmark"] h2').allTextContents(), [
    'Something else',
  ]);
  t.is((await app.db.knex('bookmarks').where({ title: 'The field guide to pebbles' })).length, 0);
});
