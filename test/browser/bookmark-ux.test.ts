/**
 * Bookmark UX in a real headless Chromium (one launch for the file; a fresh
 * context, so a fresh session, per test): the bookmarklet going back to the
 * page it came from, re-saving a URL you already have, failed unfurls, the
 * duplicate warning and tag completion as you type, #tag searches, tag
 * rename/merge/delete, bulk changes without JavaScript, "private by default"
 * and the form-errors convention. The app runs web and worker, so unfurls
 * really happen, against pages served on 127.0.0.1 (another origin).
 */
import test from 'ava';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type FixtureServer, startFixtureServer } from '../fetcher/fixture-server';
import { startTestApp, type TestApp } from '../helpers/app';
import { CHROMIUM, CHROMIUM_ARGS } from '../helpers/chromium';
import { signIn, submit } from './support';

let app: TestApp;
let site: FixtureServer;
let browser: Browser;

test.before(async () => {
  app = await startTestApp({ FETCH_ALLOW_PRIVATE_NETWORKS: 'true' });
  site = await startFixtureServer();
  site.route('/article', (_req, res) => {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end('<!doctype html><title>A page elsewhere</title><p>Some text worth keeping.</p>');
  });
  site.route('/broken', (_req, res) => {
    res.statusCode = 500;
    res.end('down for maintenance');
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});
test.after.always(async () => {
  await browser?.close();
  await site?.close();
  await app?.stop();
});

/** A signed-in page in a context of its own. */
async function newSession(javaScriptEnabled: boolean) {
  const context: BrowserContext = await browser.newContext({
    javaScriptEnabled,
    viewport: { width: 390, height: 844 },
  });
  const page = await context.newPage();
  const { username } = await signIn(page, app);
  const user = await app.db.knex('users').where({ username }).first();
  return { context, page, username, userId: Number(user.id) };
}

const url = (path: string) => `${app.baseUrl}${path}`;
const flash = async (page: Page) => (await page.textContent('.flash')) ?? '';

/** Strings, not functions, for evaluate: this file is compiled without the DOM types. */
const evaluate = <T>(page: Page, script: string) => page.evaluate(script) as Promise<T>;

async function addBookmark(page: Page, fields: Record<string, string>) {
  await page.goto(url('/bookmarks/new'));
  for (const [name, value] of Object.entries(fields)) {
    await page.fill(`[name="${name}"]`, value);
  }
  await submit(page, 'form.bookmark-form button[type="submit"]');
}

const bookmarkRow = (userId: number, urlText: string) =>
  app.db.knex('bookmarks').where({ owner_id: userId, url: urlText }).first();

async function tagsOf(bookmarkId: number): Promise<string[]> {
  const rows = await app.db
    .knex('bookmark_tags as bt')
    .join('tags as t', 't.id', 'bt.tag_id')
    .where('bt.bookmark_id', bookmarkId)
    .orderBy('t.name')
    .select('t.name');
  return rows.map((row: { name: string }) => row.name);
}

test.serial('bug 2: the main bookmarklet saves the page and goes back to it', async (t) => {
  const { context, page, username } = await newSession(true);
  await page.goto(url(`/u/${username}`));
  const href = await page.getAttribute('[data-testid="bookmarklet"]', 'href');
  t.true(href?.startsWith('javascript:'));
  // What a browser runs for a javascript: URL: its percent-decoded text.
  const code = decodeURIComponent(href!.slice('javascript:'.length));

  const article = site.url('/article');
  await page.goto(article);
  await Promise.all([page.waitForURL(/\/bookmarks\/new\?/), page.evaluate(code)]);
  t.is(await page.inputValue('input[name="url"]'), article);
  t.is(await page.inputValue('input[name="title"]'), 'A page elsewhere');
  await Promise.all([
    page.waitForURL(article, { timeout: 15_000 }),
    page.click('form.bookmark-form button[type="submit"]'),
  ]);
  t.is(page.url(), article, 'back on the page the bookmarklet ran on');
  t.is(await page.textContent('p'), 'Some text worth keeping.');
  const saved = await app.db.knex('bookmarks').where({ url: article }).first();
  t.is(saved?.title, 'A page elsewhere');

  // The popup bookmarklet still works: its window saves, says so and closes itself.
  await page.goto(url(`/u/${username}`));
  const popupHref = await page.getAttribute('[data-testid="bookmarklet-popup"]', 'href');
  const popupCode = decodeURIComponent(popupHref!.slice('javascript:'.length));
  const other = site.url('/article?second=1');
  await page.goto(other);
  const [popup] = await Promise.all([context.waitForEvent('page'), page.evaluate(popupCode)]);
  await popup.waitForSelector('form.bookmark-form');
  await Promise.all([
    popup.waitForEvent('close', { timeout: 15_000 }),
    popup.click('form.bookmark-form button[type="submit"]'),
  ]);
  t.is(page.url(), other, 'the page itself stays where it was');
  t.truthy(await app.db.knex('bookmarks').where({ url: other }).first());
  await context.close();
});

test.serial('bug 1: saving a URL you have from the plain Add form loses nothing', async (t) => {
  const { context, page, userId, username } = await newSession(false);
  const known = 'https://resave.invalid/guide';
  await addBookmark(page, {
    url: known,
    title: 'The guide',
    description: 'Notes I wrote',
    tags: 'travel maps',
  });
  const before = await bookmarkRow(userId, known);

  // Only the URL (another spelling of it): nothing is blanked, and the message says so.
  await addBookmark(page, { url: 'https://RESAVE.invalid/guide/?utm_source=x' });
  t.is(new URL(page.url()).pathname, `/u/${username}`);
  t.regex(
    await flash(page),
    /You already had this page \(saved on [\d-]+\)\. Nothing was changed\./,
  );
  const after = await bookmarkRow(userId, known);
  t.like(after, { id: before.id, title: 'The guide', description: 'Notes I wrote' });
  t.deepEqual(await tagsOf(before.id), ['maps', 'travel']);

  // New tags are added to the old ones.
  await addBookmark(page, { url: known, tags: 'hiking' });
  t.regex(await flash(page), /added the tag “hiking”\. Nothing you had was replaced\./);
  t.deepEqual(await tagsOf(before.id), ['hiking', 'maps', 'travel']);

  // A different title is not applied blindly: the form comes back for review.
  await addBookmark(page, { url: known, title: 'A new title' });
  t.regex(
    (await page.textContent('[data-testid="review-notice"]')) ?? '',
    /Nothing has been saved yet/,
  );
  t.is(await page.inputValue('input[name="title"]'), 'A new title');
  t.is(await page.textContent('#title-was'), 'You had: The guide');
  t.is(await page.inputValue('textarea[name="description"]'), 'Notes I wrote');
  t.is((await bookmarkRow(userId, known)).title, 'The guide');
  await submit(page, 'form.bookmark-form button[type="submit"]');
  t.regex(await flash(page), /Bookmark updated\./);
  t.like(await bookmarkRow(userId, known), { title: 'A new title', description: 'Notes I wrote' });
  t.deepEqual(await tagsOf(before.id), ['hiking', 'maps', 'travel']);
  t.is((await app.db.knex('bookmarks').where({ owner_id: userId })).length, 1);
  await context.close();
});

test.serial('bug 7: a failed unfurl says why, on the form and on the bookmark', async (t) => {
  const { context, page, userId, username } = await newSession(false);
  const broken = site.url('/broken');
  await page.goto(url(`/bookmarks/new?url=${encodeURIComponent(broken)}`));
  t.regex(
    (await page.textContent('[data-testid="unfurl-error"]')) ?? '',
    /could not be read to fill in its title and description \(HTTP 500\)/,
  );
  await submit(page, 'form.bookmark-form button[type="submit"]');
  // The worker's unfurl fails too; the list then says so instead of a bare URL.
  const deadline = Date.now() + 15_000;
  let row = await bookmarkRow(userId, broken);
  while (!row.unfurl_metadata?.error && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    row = await bookmarkRow(userId, broken);
  }
  t.is(row.unfurl_metadata?.error, 'HTTP 500');
  await page.goto(url(`/u/${username}`));
  const note = page.locator('[data-testid="bookmark"] [data-testid="unfurl-error"]');
  t.regex((await note.textContent()) ?? '', /The page could not be fetched on [\d-]+: HTTP 500\./);
  t.is(await note.locator('a').getAttribute('href'), `/bookmarks/${row.id}/edit`);
  await submit(page, '[data-testid="unfurl-error"] button');
  t.regex(await flash(page), /Fetching the page again/);
  const jobs = await app.db.knex.raw(
    "select count(*)::int as n from graphile_worker.jobs where key = 'unfurl:' || ?",
    [row.id],
  );
  t.true(jobs.rows[0].n <= 1, 'at most one unfurl of it is queued');
  // The edit form says it too.
  await page.goto(url(`/bookmarks/${row.id}/edit`));
  t.regex((await page.textContent('[data-testid="unfurl-error"]')) ?? '', /HTTP 500/);
  await context.close();
});

test.serial('duplicate warning and tag completion as you type (JavaScript on)', async (t) => {
  const { context, page, userId } = await newSession(true);
  await addBookmark(page, {
    url: 'https://dupe.invalid/page',
    title: 'Known page',
    tags: 'geology walks web',
  });
  const known = await bookmarkRow(userId, 'https://dupe.invalid/page');

  await page.goto(url('/bookmarks/new'));
  await page
    .locator('input[name="url"]')
    .pressSequentially('https://dupe.invalid/page/?utm_medium=x');
  const note = page.locator('#url-duplicate');
  await note.locator('a').waitFor({ timeout: 10_000 });
  t.regex((await note.textContent()) ?? '', /You already have this page: “Known page”, saved on/);
  t.is(await note.locator('a').getAttribute('href'), `/bookmarks/${known.id}/edit`);
  await page.fill('input[name="url"]', 'https://dupe.invalid/other');
  await page.locator('input[name="url"]').press('End');
  await note.locator('a').waitFor({ state: 'detached', timeout: 10_000 });
  t.is(await note.textContent(), '', 'the warning goes when the URL is a new one');

  await page.locator('input[name="tags"]').pressSequentially('geology w');
  const options = await evaluate<string[]>(
    page,
    "Array.from(document.querySelectorAll('#tag-suggestions option'), (o) => o.value)",
  );
  t.deepEqual(options.sort(), ['geology walks', 'geology web']);
  await context.close();
});

test.serial('#tag in the search box filters by tag', async (t) => {
  const { context, page, username } = await newSession(false);
  await addBookmark(page, { url: 'https://search.invalid/1', title: 'Rust pebbles', tags: 'rust' });
  await addBookmark(page, { url: 'https://search.invalid/2', title: 'Go pebbles', tags: 'go' });
  await addBookmark(page, { url: 'https://search.invalid/3', title: 'Rust stones', tags: 'rust' });
  await page.goto(url(`/u/${username}`));
  await page.fill('form.filters input[name="q"]', '#Rust pebbles');
  await submit(page, 'form.filters button[type="submit"]');
  t.deepEqual(await page.locator('[data-testid="bookmark"] h2').allTextContents(), [
    'Rust pebbles',
  ]);
  t.is(await page.inputValue('form.filters input[name="q"]'), '#Rust pebbles');
  await context.close();
});

test.serial('tags: rename, merge after a confirmation, delete', async (t) => {
  const { context, page, userId } = await newSession(false);
  await addBookmark(page, { url: 'https://tags.invalid/1', tags: 'recipe cooking' });
  await addBookmark(page, { url: 'https://tags.invalid/2', tags: 'recipes' });
  const first = await bookmarkRow(userId, 'https://tags.invalid/1');
  const second = await bookmarkRow(userId, 'https://tags.invalid/2');

  await page.goto(url('/tags'));
  t.deepEqual(
    await page.locator('[data-testid="own-tags"] tbody td:first-child').allTextContents(),
    ['cooking', 'recipe', 'recipes'],
  );
  await submit(page, 'tr[data-tag="recipe"] a:text("Rename")');
  await page.fill('input[name="name"]', 'recipes');
  await submit(page, 'form.stacked button[type="submit"]');
  t.regex(
    (await page.textContent('[data-testid="merge-confirm"]')) ?? '',
    /You already have a tag “recipes” \(1 bookmark\)/,
  );
  t.deepEqual(await tagsOf(first.id), ['cooking', 'recipe'], 'nothing merged before agreeing');
  await submit(page, 'form.stacked button[type="submit"]');
  t.regex(await flash(page), /Merged “recipe” into “recipes”/);
  t.deepEqual(await tagsOf(first.id), ['cooking', 'recipes']);

  await submit(page, 'tr[data-tag="cooking"] a:text("Rename")');
  await page.fill('input[name="name"]', 'two words');
  await submit(page, 'form.stacked button[type="submit"]');
  t.is(await page.getAttribute('input[name="name"]', 'aria-describedby'), 'name-error');
  t.is(await page.textContent('#name-error'), 'A tag is one word: no spaces or commas.');
  await page.fill('input[name="name"]', 'kitchen');
  await submit(page, 'form.stacked button[type="submit"]');
  t.regex(await flash(page), /Renamed “cooking” to “kitchen” \(1 bookmark\)/);

  await submit(page, 'tr[data-tag="recipes"] a:text("Delete")');
  t.regex((await page.textContent('main')) ?? '', /2 bookmarks will lose this tag/);
  await submit(page, 'form.actions button.danger');
  t.regex(await flash(page), /Deleted the tag “recipes”/);
  t.deepEqual(await tagsOf(first.id), ['kitchen']);
  t.deepEqual(await tagsOf(second.id), []);
  t.is((await app.db.knex('bookmarks').where({ owner_id: userId })).length, 2);
  await context.close();
});

test.serial(
  'bulk: tag, make private and delete several bookmarks, without JavaScript',
  async (t) => {
    const { context, page, userId, username } = await newSession(false);
    for (const n of [1, 2, 3]) {
      await addBookmark(page, { url: `https://bulk.invalid/${n}`, title: `Bulk ${n}` });
    }
    const ids = await app.db
      .knex('bookmarks')
      .where({ owner_id: userId })
      .orderBy('id')
      .pluck('id');
    const tick = async (...which: number[]) => {
      await page.goto(url(`/u/${username}`));
      for (const id of which) await page.check(`input.select[value="${id}"]`);
    };

    await tick(ids[0], ids[1]);
    await page.selectOption('#bulk-action', 'tag');
    await page.fill('#bulk-tags', 'batch, later');
    await submit(page, '#bulk button[type="submit"]');
    t.regex(await flash(page), /Added “batch”, “later” to 2 bookmarks\./);
    t.deepEqual(await tagsOf(ids[0]), ['batch', 'later']);
    t.deepEqual(await tagsOf(ids[2]), []);

    // Adding tags without naming any: the selection comes back with the error on its field.
    await tick(ids[2]);
    await submit(page, '#bulk button[type="submit"]');
    t.is(await page.textContent('#tags-error'), 'Enter the tags to add.');
    t.is(await page.getAttribute('#tags', 'aria-invalid'), 'true');
    t.deepEqual(await page.locator('[data-testid="bulk-selection"] li').count(), 1);

    await tick(ids[1], ids[2]);
    await page.selectOption('#bulk-action', 'private');
    await submit(page, '#bulk button[type="submit"]');
    t.regex(await flash(page), /Made 2 bookmarks private\./);
    t.deepEqual(await app.db.knex('bookmarks').whereIn('id', ids).orderBy('id').pluck('private'), [
      false,
      true,
      true,
    ]);

    await tick(ids[0], ids[2]);
    await page.selectOption('#bulk-action', 'delete');
    await submit(page, '#bulk button[type="submit"]');
    t.regex((await page.textContent('h1')) ?? '', /Delete 2 bookmarks\?/);
    t.is((await app.db.knex('bookmarks').whereIn('id', ids)).length, 3, 'nothing deleted yet');
    await submit(page, 'form.stacked button.danger');
    t.regex(await flash(page), /Deleted 2 bookmarks\./);
    t.deepEqual(await app.db.knex('bookmarks').whereIn('id', ids).pluck('id'), [ids[1]]);
    await context.close();
  },
);

test.serial('private by default: the setting ticks Private on new bookmarks', async (t) => {
  const { context, page, userId } = await newSession(false);
  await page.goto(url('/settings/bookmarks'));
  await page.check('input[name="private_by_default"]');
  await submit(page, '[data-testid="bookmark-settings"] button[type="submit"]');
  t.regex(await flash(page), /new bookmarks start private/);
  t.true(await page.isChecked('input[name="private_by_default"]'));
  await page.goto(url('/bookmarks/new'));
  t.true(await page.isChecked('input[name="private"]'));
  await page.fill('input[name="url"]', 'https://default.invalid/');
  await submit(page, 'form.bookmark-form button[type="submit"]');
  t.true((await bookmarkRow(userId, 'https://default.invalid/')).private);
  await context.close();
});

test.serial('form errors are linked to their fields and the first one has the focus', async (t) => {
  const { context, page } = await newSession(false);
  await page.goto(url('/bookmarks/new'));
  await page.fill('input[name="url"]', 'ftp://nope.invalid/');
  await page.fill('input[name="tags"]', `ok ${'t'.repeat(65)}`);
  await submit(page, 'form.bookmark-form button[type="submit"]');
  for (const field of ['url', 'tags']) {
    const input = page.locator(`[name="${field}"]`);
    t.is(await input.getAttribute('aria-invalid'), 'true', field);
    t.is(await input.getAttribute('aria-describedby'), `${field}-error`, field);
    t.is(await page.getAttribute(`#${field}-error`, 'class'), 'field-error');
  }
  t.regex((await page.textContent('#url-error')) ?? '', /Only http:\/\/ and https:\/\//);
  t.is(await page.getAttribute('input[name="url"]', 'autofocus'), '');
  t.is(await page.getAttribute('input[name="tags"]', 'autofocus'), null);
  t.is(await evaluate<string>(page, 'document.activeElement.name'), 'url');
  t.is(await page.getAttribute('input[name="title"]', 'aria-invalid'), null);
  await context.close();
});
