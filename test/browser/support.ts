/** What the browser tests share besides Chromium itself (test/helpers/chromium.ts): signing in, submitting. */
import type { Page } from 'playwright-core';
import { uniqueName } from '../bookmarks/support';
import type { TestApp } from '../helpers/app';

/** Clicks and waits for the page the click leads to. */
export async function submit(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

/** Registers a new person through the page (which signs them in). */
export async function signIn(
  page: Page,
  app: TestApp,
  prefix = 'bird',
): Promise<{ username: string }> {
  const username = uniqueName(`${prefix}${process.pid}x`);
  await page.goto(`${app.baseUrl}/auth/register`);
  await page.fill('input[name="username"]', username);
  await page.fill('input[name="email"]', `${username}@example.test`);
  await page.fill('input[name="password"]', 'correct horse battery');
  const confirm = page.locator('input[name="password_confirm"]');
  if ((await confirm.count()) > 0) await confirm.fill('correct horse battery');
  await submit(page, 'form[action="/auth/register"] button[type="submit"]');
  return { username };
}

/** Signs in through the login page; answers where it led (the login page again on a failure). */
export async function logIn(
  page: Page,
  app: TestApp,
  login: string,
  password: string,
): Promise<string> {
  await page.goto(`${app.baseUrl}/auth/login`);
  await page.fill('form[action="/auth/login"] input[name="username"]', login);
  await page.fill('form[action="/auth/login"] input[name="password"]', password);
  await submit(page, 'form[action="/auth/login"] button[type="submit"]');
  return new URL(page.url()).pathname;
}
