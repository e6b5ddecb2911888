/**
 * Password change and "sign out everywhere" (src/users/security-routes.ts)
 * in a real headless Chromium: one browser, a context per device, so each
 * context is a browser with its own cookie. What a device sees after the
 * other one acted is checked on its next navigation, and the `sessions`
 * table is checked alongside.
 */
import test from 'ava';
import type { Browser, Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app';
import { launchChromium } from '../helpers/chromium';
import { logIn, signIn, submit } from './support';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'granite pebbles under moonlight';
const LOGIN_FAILED = 'That username and password do not match.';

let app: TestApp;
let browser: Browser;

test.before(async () => {
  app = await startTestApp({}, 'web');
  browser = await launchChromium();
});
test.after.always(async () => {
  await browser?.close();
  await app?.stop();
});

const url = (path: string) => `${app.baseUrl}${path}`;
const pathname = (page: Page) => new URL(page.url()).pathname;
const flash = async (page: Page) => (await page.textContent('.flash')) ?? '';
const signedIn = async (page: Page) =>
  (await page.locator('form[action="/auth/logout"]').count()) === 1;

/** A page in a fresh context: another browser, with no cookie. */
async function device(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  return context.newPage();
}

async function userOf(username: string): Promise<{ id: number; password_hash: string }> {
  const user = await app.db.knex('users').where({ username }).first();
  return { id: Number(user.id), password_hash: String(user.password_hash) };
}

async function userSessions(userId: number): Promise<number> {
  const [row] = await app.db.knex('sessions').where({ user_id: userId }).count({ n: '*' });
  return Number(row!.n);
}

/** Fills the password form of the page it is on and presses its button. */
async function changePassword(page: Page, current: string, next: string): Promise<void> {
  const form = page.locator('form[action="/settings/password"]');
  await form.getByLabel('Current password').fill(current);
  await form.getByLabel('New password').fill(next);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    form.getByRole('button', { name: 'Change password' }).click(),
  ]);
}

test('password change from /settings: a wrong current password changes nothing; then the new one works and the old one does not', async (t) => {
  const laptop = await device();
  const { username } = await signIn(laptop, app, 'pw');
  const phone = await device();
  t.is(await logIn(phone, app, username, PASSWORD), `/u/${username}`);
  const user = await userOf(username);
  t.is(await userSessions(user.id), 2, 'signed in on two devices');

  await laptop.goto(url('/settings'));
  await changePassword(laptop, 'not my password', NEW_PASSWORD);
  t.is(await laptop.textContent('#current_password-error'), 'That is not your current password.');
  t.is(await laptop.getAttribute('#current_password-error', 'class'), 'field-error');
  const current = laptop.locator(
    'form[action="/settings/password"] input[name="current_password"]',
  );
  t.is(await current.getAttribute('aria-invalid'), 'true');
  t.is(await current.getAttribute('aria-describedby'), 'current_password-error');
  t.true(await signedIn(laptop), 'still signed in after the refusal');
  t.is((await userOf(username)).password_hash, user.password_hash, 'the password is unchanged');
  t.is(await userSessions(user.id), 2, 'nobody was signed out');
  const stranger = await device();
  t.is(await logIn(stranger, app, username, NEW_PASSWORD), '/auth/login');
  t.is(await stranger.textContent('.form-error'), LOGIN_FAILED);

  await laptop.goto(url('/settings'));
  await changePassword(laptop, PASSWORD, NEW_PASSWORD);
  t.is(pathname(laptop), '/settings', 'back to the page the form was on');
  t.is(new URL(laptop.url()).hash, '#password-heading');
  t.regex(await flash(laptop), /^Password changed\. Every other browser was signed out/);
  t.true(await signedIn(laptop), 'this browser stays signed in');
  t.not((await userOf(username)).password_hash, user.password_hash);
  t.is(await userSessions(user.id), 1, "only the laptop's new session is left");

  // The phone's session ended with the change.
  await phone.goto(url('/settings'));
  t.is(pathname(phone), '/auth/login');
  t.false(await signedIn(phone));

  // A browser that never signed in: the old password is refused, the new one accepted.
  const fresh = await device();
  t.is(await logIn(fresh, app, username, PASSWORD), '/auth/login');
  t.is(await fresh.textContent('.form-error'), LOGIN_FAILED);
  t.is(await logIn(fresh, app, username, NEW_PASSWORD), `/u/${username}`);
  t.true(await signedIn(fresh));
  t.is(await userSessions(user.id), 2);

  for (const page of [laptop, phone, stranger, fresh]) await page.context().close();
});

test('sign out everywhere: every session of the user ends, the pressing browser included', async (t) => {
  const laptop = await device();
  const { username } = await signIn(laptop, app, 'out');
  const phone = await device();
  t.is(await logIn(phone, app, username, PASSWORD), `/u/${username}`);
  const user = await userOf(username);
  // Someone else's session is not theirs to end.
  const neighbour = await device();
  const other = await signIn(neighbour, app, 'nb');
  const neighbourId = (await userOf(other.username)).id;

  await phone.goto(url('/settings'));
  t.is(await userSessions(user.id), 2);
  t.regex((await phone.textContent('.settings-sessions')) ?? '', /signed in on 2 browsers/);

  await submit(
    phone,
    'form[action="/settings/sessions/revoke"] button:text("Sign out everywhere")',
  );
  // The code sends the pressing browser to the login page, signed out, with a flash.
  t.is(pathname(phone), '/auth/login');
  t.is(await flash(phone), 'You were signed out everywhere, here included.');
  t.false(await signedIn(phone));
  t.is(await userSessions(user.id), 0, "none of the user's sessions is left");
  t.is(await userSessions(neighbourId), 1, "the neighbour's session is untouched");

  // The other browser finds out on its next navigation.
  await laptop.goto(url('/settings'));
  t.is(pathname(laptop), '/auth/login');
  t.is(new URL(laptop.url()).searchParams.get('next'), '/settings');
  t.false(await signedIn(laptop));
  t.is(await laptop.locator('form[action="/auth/login"]').count(), 1);
  // The pressing browser stays signed out too.
  await phone.goto(url('/settings'));
  t.is(pathname(phone), '/auth/login');
  t.is(await userSessions(user.id), 0);

  await neighbour.goto(url('/settings'));
  t.is(pathname(neighbour), '/settings');
  t.true(await signedIn(neighbour));

  for (const page of [laptop, phone, neighbour]) await page.context().close();
});
