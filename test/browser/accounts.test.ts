/**
 * Accounts in a real headless Chromium on a 390 px phone: the navigation
 * (skip link, current page, icon), /settings with its form errors, API
 * tokens shown once after a redirect, the layouts that used to scroll
 * sideways or lose their labels, and deleting the account. Screenshots go to
 * /tmp/pebbling-accounts-*.png for a look.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { startTestApp, type TestApp } from '../helpers/app';
import { launchPhone, type Phone } from '../helpers/chromium';

const PASSWORD = 'correct horse battery';

let app: TestApp;
let phone: Phone;
let page: Page;

test.before(async () => {
  app = await startTestApp({}, 'web');
  phone = await launchPhone();
  page = await phone.context.newPage();
  await page.goto(url('/auth/register'));
  await page.fill('input[name="username"]', 'settler');
  await page.fill('input[name="email"]', 'settler@example.test');
  await page.fill('input[name="password"]', PASSWORD);
  await page.fill('input[name="password_confirm"]', PASSWORD);
  await submit('form[action="/auth/register"] button[type="submit"]');
});
test.after.always(async () => {
  await phone?.close();
  await app?.stop();
});

const url = (p: string) => `${app.baseUrl}${p}`;

/** Clicks and waits for the page the click leads to. */
async function submit(selector: string) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

// Strings, not functions: this file is compiled without the DOM types.
const evaluate = <T>(script: string) => page.evaluate(script) as Promise<T>;
const sideways = () =>
  evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');

test.serial('skip link first, the current page marked in the navigation, an icon', async (t) => {
  await page.goto(url('/settings'));
  await page.keyboard.press('Tab');
  t.is(await evaluate<string>('document.activeElement.textContent'), 'Skip to content');
  const box = await page.locator('.skip-link').boundingBox();
  t.true(box !== null && box.y >= 0, 'visible once focused');
  await page.keyboard.press('Enter');
  t.is(await evaluate<string>('document.activeElement.id'), 'main');

  for (const [path, label] of [
    ['/settings', 'Settings'],
    ['/settings/tokens', 'Settings'],
    ['/feeds', 'Feeds'],
    ['/u/settler', 'My bookmarks'],
    ['/bookmarks/new', 'Add'],
  ]) {
    await page.goto(url(path!));
    t.deepEqual(
      await page.locator('nav[aria-label="Main"] [aria-current="page"]').allTextContents(),
      [label],
      path,
    );
  }
  await page.goto(url('/settings/tokens'));
  t.is(await page.locator('nav.subnav [aria-current="page"]').textContent(), 'API tokens');

  t.is(
    await page.getAttribute('link[rel="icon"][type="image/svg+xml"]', 'href'),
    '/static/favicon.svg',
  );
  for (const icon of ['/static/favicon.svg', '/favicon.ico']) {
    const response = await page.request.get(url(icon));
    t.is(response.status(), 200, icon);
  }
});

test.serial(
  'settings: errors next to their fields with the focus on the first, then saved',
  async (t) => {
    await page.goto(url('/settings'));
    await page.fill('#email-email', 'new-home@example.test');
    await page.fill('#email-current_password', 'not my password');
    await submit('form[action="/settings/email"] button');
    const password = page.locator('#email-current_password');
    t.is(await password.getAttribute('aria-invalid'), 'true');
    t.is(await password.getAttribute('aria-describedby'), 'current_password-error');
    t.is(await page.textContent('#current_password-error'), 'That is not your current password.');
    t.is(await evaluate<string>('document.activeElement.id'), 'email-current_password');
    t.is(await page.inputValue('#email-email'), 'new-home@example.test', 'kept');

    await page.fill('#email-current_password', PASSWORD);
    await submit('form[action="/settings/email"] button');
    t.regex((await page.textContent('.flash')) ?? '', /now new-home@example\.test/);
    t.is(await page.textContent('[data-testid="email"]'), 'new-home@example.test');

    await page.fill('#profile-bio', 'Skips stones on Sundays.');
    await submit('form[action="/settings/profile"] button');
    t.regex((await page.textContent('.flash')) ?? '', /Profile saved/);
    t.is(await page.inputValue('#profile-bio'), 'Skips stones on Sundays.');
  },
);

test.serial(
  'a new API token: shown once after a redirect; a reload creates no second',
  async (t) => {
    await page.goto(url('/settings/tokens'));
    await page.fill('input[name="name"]', 'laptop script');
    await submit('form[action="/settings/tokens"] button');
    t.is(new URL(page.url()).pathname, '/settings/tokens', 'the POST answered with a redirect');
    const token = (await page.textContent('[data-testid="new-token"]')) ?? '';
    t.regex(token, /^pc_/);

    await page.reload({ waitUntil: 'load' });
    t.is(await page.locator('[data-testid="new-token"]').count(), 0, 'shown once');
    const user = await app.db.knex('users').where({ username: 'settler' }).first();
    t.is((await app.db.knex('api_tokens').where({ user_id: user.id })).length, 1);
  },
);

test.serial(
  'on a 390 px phone: no sideways scrolling, labelled cells, a tidy filter bar',
  async (t) => {
    // A second token with a long name, and a feed to list.
    await page.goto(url('/settings/tokens'));
    await page.fill('input[name="name"]', 'the nightly synchronisation job on the old server');
    await submit('form[action="/settings/tokens"] button');
    await page.goto(url('/settings/tokens'));
    t.is(await sideways(), 0, 'the tokens page fits');
    const revokes = await page.locator('button:text("Revoke")').all();
    t.is(revokes.length, 2);
    for (const button of revokes) {
      const box = await button.boundingBox();
      t.true(box !== null && box.x >= 0 && box.x + box.width <= 390, 'Revoke is on screen');
    }
    await page.screenshot({ path: '/tmp/pebbling-accounts-tokens-phone.png', fullPage: true });

    const user = await app.db.knex('users').where({ username: 'settler' }).first();
    const [feed] = await app.db
      .knex('feeds')
      .insert({ url: 'https://feeds.example/a/rather/long/path/to/its/feed.xml', title: 'Pebbles' })
      .returning('id');
    await app.db.knex('feed_subscriptions').insert({ user_id: user.id, feed_id: feed.id });
    await page.goto(url('/feeds'));
    t.is(await sideways(), 0, 'the feeds page fits');
    const labels = await evaluate<string[]>(
      `[...document.querySelectorAll('table.feeds tbody td')].map((td) => getComputedStyle(td, '::before').content)`,
    );
    t.deepEqual(labels.slice(0, 4), ['none', '"Last poll"', '"Next poll"', '"Items"']);
    await page.screenshot({ path: '/tmp/pebbling-accounts-feeds-phone.png', fullPage: true });
    const [placeholder, typed] = await evaluate<string[][]>(`(() => {
    const input = document.querySelector('form.feed-add input[name="url"]');
    const p = getComputedStyle(input, '::placeholder');
    const v = getComputedStyle(input);
    return [[p.fontWeight, p.color], [v.fontWeight, v.color]];
  })()`);
    t.is(placeholder![0], '400', 'a placeholder in a bold label is not bold');
    t.not(placeholder![1], typed![1], 'placeholders are lighter than values');

    await page.goto(url('/u/settler'));
    const button = await page.locator('form.filters button[type="submit"]').boundingBox();
    const perPage = await page.locator('form.filters select[name="limit"]').boundingBox();
    const middle = (box: { y: number; height: number }) => box.y + box.height / 2;
    t.true(Math.abs(middle(button!) - middle(perPage!)) < 2, 'the button shares a row');
    // The "Since" example fits its field: its width in its own font against the room inside.
    const room = await evaluate<number>(`(() => {
    const input = document.querySelector('form.filters input[name="since"]');
    const style = getComputedStyle(input, '::placeholder');
    const context = document.createElement('canvas').getContext('2d');
    context.font = style.fontWeight + ' ' + style.fontSize + ' ' + style.fontFamily;
    const box = getComputedStyle(input);
    const inner = input.clientWidth - parseFloat(box.paddingLeft) - parseFloat(box.paddingRight);
    return inner - context.measureText(input.placeholder).width;
  })()`);
    t.true(room >= 0, `the placeholder is cut by ${-room}px`);
    await page.screenshot({ path: '/tmp/pebbling-accounts-filters-phone.png' });
    t.is(await sideways(), 0);
  },
);

test.serial('delete the account: exports offered, password and tick required', async (t) => {
  await page.goto(url('/settings'));
  await submit('a[href="/settings/delete"]:text("Delete your account")');
  for (const file of ['netscape.html', 'activitystream.json', 'bookmarks.opml']) {
    t.is(await page.locator(`a[href="/bookmarks/export/${file}"]`).count(), 1, file);
  }
  await page.screenshot({ path: '/tmp/pebbling-accounts-delete-phone.png', fullPage: true });
  await page.fill('#delete-current_password', PASSWORD);
  await submit('form[action="/settings/delete"] button.danger');
  t.is(
    await page.textContent('#confirm-error'),
    'Tick the box to confirm that everything is deleted.',
  );
  t.is(await page.getAttribute('input[name="confirm"]', 'aria-describedby'), 'confirm-error');

  await page.fill('#delete-current_password', PASSWORD);
  await page.check('input[name="confirm"]');
  await submit('form[action="/settings/delete"] button.danger');
  t.is(new URL(page.url()).pathname, '/');
  t.regex((await page.textContent('.flash')) ?? '', /have been deleted/);
  t.is(await page.locator('form[action="/auth/logout"]').count(), 0, 'signed out');
  t.is((await app.db.knex('users').where({ username: 'settler' })).length, 0);
});
