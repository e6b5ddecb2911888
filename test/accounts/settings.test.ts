/**
 * /settings against the real HTTP server: API tokens created with
 * POST-redirect-GET and shown once, the email change and account deletion
 * behind the current password, and disabled accounts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { setUserDisabled } from '../../src/accounts';
import { bookmarkOf, person } from '../bookmarks/support';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { aToken } from '../helpers/factories';
import { metricValue, scrape } from '../helpers/metrics';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

const count = async (table: string, where: Record<string, unknown>) =>
  Number((await app.db.knex(table).where(where).count({ n: '*' }).first())?.n ?? 0);

test('settings pages need a signed-in user', async (t) => {
  const anonymous = new TestClient(app.baseUrl);
  for (const page of ['/settings', '/settings/tokens', '/settings/delete']) {
    const response = await anonymous.get(page);
    t.is(response.status, 302, page);
    t.is(response.location, `/auth/login?next=${encodeURIComponent(page)}`);
  }
});

test('a new token: the POST redirects, the page shows it once, a refresh creates none', async (t) => {
  const owner = await person(app, 'tokens');
  const created = await owner.client.post('/settings/tokens', { name: 'laptop script' });
  t.is(created.status, 302);
  t.is(created.location, '/settings/tokens');
  // On its way to that page it waits in the session cookie, which is signed, not secret.
  const cookie = created.headers.getSetCookie().find((c) => c.startsWith('pebbling.sid='));
  const session = Buffer.from(cookie!.split(';')[0]!.split('=')[1]!, 'base64').toString('utf8');

  const page = await owner.client.get('/settings/tokens');
  t.is(page.status, 200);
  t.is(page.headers.get('cache-control'), 'no-store');
  const token = /data-testid="new-token">([^<]+)</.exec(page.text)?.[1] ?? '';
  t.regex(token, /^pc_/);
  t.false(session.includes(token), 'the cookie does not carry the token readable');
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 200);

  // The refresh a person makes after creating one: nothing new, and no token shown.
  const again = await owner.client.get('/settings/tokens');
  t.false(again.text.includes('data-testid="new-token"'));
  t.false(again.text.includes(token));
  t.is(await count('api_tokens', { user_id: owner.id }), 1);

  const invalid = await owner.client.post('/settings/tokens', { name: 'x'.repeat(101) });
  t.is(invalid.status, 422);
  t.regex(invalid.text, /<p id="name-error" class="field-error">Token names are at most 100/);
  t.is(await count('api_tokens', { user_id: owner.id }), 1);
});

test('a token revoked before its page is shown is not shown', async (t) => {
  const owner = await person(app, 'revoked');
  await owner.client.post('/settings/tokens', { name: 'gone' });
  const row = await app.db.knex('api_tokens').where({ user_id: owner.id }).first();
  await app.db.knex('api_tokens').where({ id: row.id }).delete();
  const page = await owner.client.get('/settings/tokens');
  t.false(page.text.includes('data-testid="new-token"'));
});

test('profile: the bio is saved and shown; a too long one is refused with its error', async (t) => {
  const owner = await person(app, 'bio');
  const saved = await owner.client.post('/settings/profile', { bio: 'Collects <b>pebbles</b>.' });
  t.is(saved.status, 302);
  t.is(saved.location, '/settings#profile');
  t.regex((await owner.client.get(`/u/${owner.username}`)).text, /Collects &lt;b&gt;pebbles/);
  const long = await owner.client.post('/settings/profile', { bio: 'x'.repeat(5001) });
  t.is(long.status, 422);
  t.regex(long.text, /aria-invalid="true" aria-describedby="bio-error" autofocus/);
  t.regex(long.text, /<p id="bio-error" class="field-error">The bio is at most 5000/);
});

test('the bookmark preferences are on /settings, ticked as saved', async (t) => {
  const owner = await person(app, 'prefs');
  const form = /<form[^>]*data-testid="bookmark-settings"/;
  const before = (await owner.client.get('/settings')).text;
  t.regex(before, form, 'the form itself, not only a link to /settings/bookmarks');
  t.notRegex(before, /name="private_by_default"[^>]*checked/);
  const saved = await owner.client.post('/settings/bookmarks', {
    private_by_default: 'on',
    back: '/settings#bookmark-settings',
  });
  t.is(saved.status, 302);
  t.regex((await owner.client.get('/settings')).text, /name="private_by_default"[^>]*checked/);
});

test('/settings carries the password and session forms; a change made there comes back to it', async (t) => {
  const owner = await person(app, 'passer');
  const page = (await owner.client.get('/settings')).text;
  t.regex(page, /<form method="post" action="\/settings\/password"/);
  t.regex(page, /You are signed in on 1 browser\./);
  t.regex(page, /Sign out everywhere/);
  const changed = await owner.client.post('/settings/password', {
    current_password: 'correct horse battery',
    new_password: 'a much better horse staple',
    back: '/settings',
  });
  t.is(changed.status, 302);
  t.is(changed.location, '/settings#password-heading');
  t.is(
    (await new TestClient(app.baseUrl).login(owner.username, 'a much better horse staple')).status,
    302,
  );
});

/** The `back` field of the form posting to `action`, as the page has it. */
const backOf = (html: string, action: string) =>
  new RegExp(`action="${action}"[\\s\\S]*?name="back" value="([^"]*)"`).exec(html)?.[1];
const currentSection = (html: string) =>
  /<nav class="subnav"[\s\S]*?aria-current="page">([^<]+)</.exec(html)?.[1];

test('after a failed POST, the settings forms still come back to the page they are on', async (t) => {
  const owner = await person(app, 'backer');
  // The /settings page re-rendered by a failed email change (URL: /settings/email).
  const failed = await owner.client.post('/settings/email', {
    email: 'elsewhere@example.test',
    current_password: 'not my password at all',
  });
  t.is(failed.status, 422);
  t.is(backOf(failed.text, '/settings/bookmarks'), '/settings#bookmark-settings');
  t.is(backOf(failed.text, '/settings/password'), '/settings');
  // Saving from that page lands on a page that exists.
  const saved = await owner.client.post('/settings/bookmarks', {
    private_by_default: 'on',
    back: backOf(failed.text, '/settings/bookmarks')!,
  });
  t.is(saved.location, '/settings#bookmark-settings');
  t.is((await owner.client.get(saved.location!.split('#')[0]!)).status, 200);

  // The standalone pages name themselves, and carry the settings navigation.
  const bookmarks = await owner.client.get('/settings/bookmarks');
  t.is(backOf(bookmarks.text, '/settings/bookmarks'), '/settings/bookmarks#bookmark-settings');
  t.is(currentSection(bookmarks.text), 'Bookmarks');
  const security = await owner.client.get('/settings/security');
  t.is(backOf(security.text, '/settings/password'), '/settings/security');
  t.is(currentSection(security.text), 'Password and sessions');

  // A failed password change from /settings shows /settings/security, with the navigation.
  const wrong = await owner.client.post('/settings/password', {
    current_password: 'not my password at all',
    new_password: 'a much better horse staple',
    back: '/settings',
  });
  t.is(wrong.status, 422);
  t.is(currentSection(wrong.text), 'Password and sessions');
  t.regex(wrong.text, /<a href="\/settings">Account<\/a>/);
  t.is(backOf(wrong.text, '/settings/password'), '/settings/security');
  t.regex(wrong.text, /<p id="current_password-error" class="field-error">/);
  const changed = await owner.client.post('/settings/password', {
    current_password: 'correct horse battery',
    new_password: 'a much better horse staple',
    back: backOf(wrong.text, '/settings/password')!,
  });
  t.is(changed.location, '/settings/security');
  t.is((await owner.client.get('/settings/security')).status, 200);
});

test('email change: needs the current password, refuses a taken address, then signs in', async (t) => {
  const owner = await person(app, 'mail');
  const other = await person(app, 'taken');

  const wrong = await owner.client.post('/settings/email', {
    email: 'new@example.test',
    current_password: 'not my password',
  });
  t.is(wrong.status, 422);
  // The form-error convention: message by id, input pointing at it, focus on it.
  t.regex(wrong.text, /<p id="current_password-error" class="field-error">That is not your/);
  t.regex(
    wrong.text,
    /name="current_password"[^>]*aria-invalid="true" aria-describedby="current_password-error" autofocus/,
  );
  t.regex(wrong.text, /name="email" value="new@example.test"/, 'what was typed is kept');

  const both = await owner.client.post('/settings/email', { email: 'nope', current_password: '' });
  t.is(both.status, 422);
  t.is((both.text.match(/ autofocus/g) ?? []).length, 1, 'only the first invalid field');
  t.regex(both.text, /name="email"[^>]*aria-describedby="email-error" autofocus/);

  const taken = await owner.client.post('/settings/email', {
    email: `${other.username.toUpperCase()}@example.test`,
    current_password: 'correct horse battery',
  });
  t.is(taken.status, 422);
  t.regex(taken.text, /<p id="email-error" class="field-error">That email address cannot be used/);

  const changed = await owner.client.post('/settings/email', {
    email: 'New.Address@Example.test',
    current_password: 'correct horse battery',
  });
  t.is(changed.status, 302);
  t.regex((await owner.client.get('/settings')).text, /new\.address@example\.test/);
  const fresh = new TestClient(app.baseUrl);
  t.is((await fresh.login('new.address@example.test')).status, 302);
});

test('wrong current passwords count towards the login throttle', async (t) => {
  const owner = await person(app, 'guess');
  for (let i = 0; i < 5; i += 1) {
    const guess = { email: 'g@example.test', current_password: `guess ${i}` };
    t.is((await owner.client.post('/settings/email', guess)).status, 422);
  }
  const blocked = await owner.client.post('/settings/email', {
    email: 'g@example.test',
    current_password: 'correct horse battery',
  });
  t.is(blocked.status, 429);
  t.regex(blocked.text, /Too many failed logins/);
  t.is((await new TestClient(app.baseUrl).login(owner.username)).status, 429);
});

test('deleting the account removes everything the user owns, and only that', async (t) => {
  const owner = await person(app, 'leaver');
  const stays = await person(app, 'stayer');
  for (let i = 0; i < 3; i += 1) await bookmarkOf(owner, { tags: ['mine', `t${i}`] });
  await bookmarkOf(stays, { tags: ['mine'] });
  const token = await aToken(owner.id);
  const [feed] = await app.db
    .knex('feeds')
    .insert({ url: `https://feeds.example/${owner.username}.xml` })
    .returning('id');
  await app.db.knex('feed_subscriptions').insert({ user_id: owner.id, feed_id: feed.id });
  const upload = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-upload-')), 'a.html');
  fs.writeFileSync(upload, '<DL></DL>');
  t.teardown(() => fs.rmSync(path.dirname(upload), { recursive: true, force: true }));
  await app.db.knex('import_jobs').insert({ user_id: owner.id, file_path: upload });

  const page = await owner.client.get('/settings/delete');
  t.regex(page.text, /3 bookmarks and 4 tags/);
  for (const file of ['netscape.html', 'activitystream.json', 'bookmarks.opml']) {
    t.true(page.text.includes(`href="/bookmarks/export/${file}"`), file);
  }
  const before = await scrape(app.baseUrl);

  const unconfirmed = await owner.client.post('/settings/delete', {
    current_password: 'correct horse battery',
  });
  t.is(unconfirmed.status, 422);
  t.regex(unconfirmed.text, /<p id="confirm-error" class="field-error">/);
  const wrong = await owner.client.post('/settings/delete', {
    current_password: 'wrong password',
    confirm: 'yes',
  });
  t.is(wrong.status, 422);
  t.is(await count('bookmarks', { owner_id: owner.id }), 3, 'nothing deleted yet');

  const deleted = await owner.client.post('/settings/delete', {
    current_password: 'correct horse battery',
    confirm: 'yes',
  });
  t.is(deleted.status, 302);
  t.is(deleted.location, '/');
  t.regex(
    (await owner.client.get('/')).text,
    /Your account and everything in it have been deleted/,
  );
  t.is((await owner.client.get('/settings')).status, 302, 'signed out');

  for (const [table, column] of [
    ['users', 'id'],
    ['profiles', 'user_id'],
    ['bookmarks', 'owner_id'],
    ['tags', 'owner_id'],
    ['api_tokens', 'user_id'],
    ['feed_subscriptions', 'user_id'],
    ['import_jobs', 'user_id'],
  ] as const) {
    t.is(await count(table, { [column]: owner.id }), 0, table);
  }
  t.false(fs.existsSync(upload), 'the uploaded import file is gone');
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 401);
  t.is(await count('bookmarks', { owner_id: stays.id }), 1, 'others keep theirs');
  t.is(await count('tags', { owner_id: stays.id }), 1);

  const after = await scrape(app.baseUrl);
  const delta = (name: string, labels: Record<string, string | number>) =>
    metricValue(after, name, labels) - metricValue(before, name, labels);
  t.is(delta('bookmarks_deleted_total', {}), 3);
  t.is(delta('model_deletes_total', { model: 'bookmark' }), 3);
  t.is(delta('model_deletes_total', { model: 'tag' }), 4);
  t.is(delta('model_deletes_total', { model: 'user' }), 1);
});

test('a disabled account: no sign-in, its session and tokens refused, until enabled', async (t) => {
  const owner = await person(app, 'paused');
  const token = await aToken(owner.id);
  t.is((await owner.client.get('/settings')).status, 200);

  t.true(await setUserDisabled(owner.username, true));
  t.is((await owner.client.get('/settings')).status, 302, 'the session no longer signs in');
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 401);
  const login = await new TestClient(app.baseUrl).login(owner.username);
  t.is(login.status, 403);
  t.regex(login.text, /This account is disabled/);
  const wrong = await new TestClient(app.baseUrl).login(owner.username, 'wrong password');
  t.is(wrong.status, 401, 'without the password, nothing is told');

  t.true(await setUserDisabled(owner.username, false));
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 200);
  t.is((await new TestClient(app.baseUrl).login(owner.username)).status, 302);
});
