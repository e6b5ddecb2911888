import test from 'ava';
import { User } from '../../src/users';
import { startTestApp, type TestApp } from '../helpers/app';
import { api, TestClient } from '../helpers/client';
import { spawnApp, waitForListening } from '../helpers/process';

let app: TestApp;
test.before(async () => {
  app = await startTestApp();
});
test.after.always(async () => {
  await app?.stop();
});

test('register signs you in; the password is stored as a scrypt hash', async (t) => {
  const client = new TestClient(app.baseUrl);
  const response = await client.register('Reggie');
  t.is(response.status, 302, response.text);
  t.is(response.location, '/bookmarks/new');
  const user = await User.query().findOne({ username: 'Reggie' });
  t.regex(user!.password_hash, /^scrypt\$15\$8\$1\$/);
  t.false(user!.password_hash.includes('correct horse'));
  t.is((await client.get('/settings')).status, 200, 'signed in');
});

test('registration errors say what to fix and keep what was typed', async (t) => {
  const client = new TestClient(app.baseUrl);
  const response = await client.post('/auth/register', {
    username: 'bad name!',
    email: 'not-an-email',
    password: 'short',
  });
  t.is(response.status, 422);
  t.regex(response.text, /Usernames are 1–40 letters/);
  t.regex(response.text, /Enter a valid email address/);
  t.regex(response.text, /at least 10 characters/);
  t.regex(response.text, /value="not-an-email"/);
});

test('a taken username or email is a clear 409, case-insensitively', async (t) => {
  const client = new TestClient(app.baseUrl);
  await client.register('Twin');
  const again = await new TestClient(app.baseUrl).register(
    'twin',
    'another password',
    'other@example.test',
  );
  t.is(again.status, 409);
  t.regex(again.text, /That username is taken/);
});

test('forms without a valid CSRF token are refused with 403', async (t) => {
  const client = new TestClient(app.baseUrl);
  const missing = await client.post(
    '/auth/register',
    { username: 'nocsrf', email: 'n@example.test', password: 'long enough pw' },
    { csrf: false },
  );
  t.is(missing.status, 403);
  t.regex(missing.text, /form has expired or came from another site/);
  const wrong = await client.post('/auth/login', { username: 'x', password: 'y', _csrf: 'forged' });
  t.is(wrong.status, 403);
  t.is(await User.query().where({ username: 'nocsrf' }).resultSize(), 0);
});

test('login, then logout ends the session', async (t) => {
  await new TestClient(app.baseUrl).register('Lou');
  const client = new TestClient(app.baseUrl);
  const bad = await client.login('Lou', 'wrong password!');
  t.is(bad.status, 401);
  t.regex(bad.text, /do not match/);
  const ok = await client.login('lou');
  t.is(ok.status, 302);
  t.is(ok.location, '/u/Lou');
  t.is((await client.get('/settings')).status, 200);
  t.is((await client.post('/auth/logout')).status, 302);
  const after = await client.get('/settings');
  t.is(after.status, 302);
  t.regex(after.location ?? '', /^\/auth\/login\?next=/);
});

test('login only follows same-site next paths (no open redirect)', async (t) => {
  await new TestClient(app.baseUrl).register('Nina');
  const client = new TestClient(app.baseUrl);
  await client.get('/auth/login');
  const evil = await client.post('/auth/login', {
    username: 'Nina',
    password: 'correct horse battery',
    next: '//evil.example/',
  });
  t.is(evil.location, '/u/Nina');
  const client2 = new TestClient(app.baseUrl);
  const good = await client2.post('/auth/login', {
    username: 'Nina',
    password: 'correct horse battery',
    next: '/t/',
  });
  t.is(good.location, '/t/');
});

test('the session id changes at login (no session fixation)', async (t) => {
  await new TestClient(app.baseUrl).register('Fixie');
  const client = new TestClient(app.baseUrl);
  const sid = () =>
    (client as unknown as { cookies: Map<string, string> }).cookies.get('pebbling.sid');
  await client.get('/auth/login');
  t.is(sid(), undefined, 'the login page hands out no session to fix');
  await client.login('Fixie');
  const before = sid();
  t.truthy(before);
  await client.login('Fixie');
  t.not(sid(), before, 'a session the browser had before a login is not kept');
});

test('failed logins are throttled after five attempts', async (t) => {
  await new TestClient(app.baseUrl).register('Throttled');
  const client = new TestClient(app.baseUrl);
  for (let i = 0; i < 5; i++)
    t.is((await client.login('Throttled', `wrong password ${i}`)).status, 401);
  const blocked = await client.login('Throttled');
  t.is(blocked.status, 429);
  t.truthy(blocked.headers.get('retry-after'));
  t.regex(blocked.text, /Too many failed logins/);
});

test('the old profile page leads to /settings, for its owner only; its form still saves', async (t) => {
  const owner = new TestClient(app.baseUrl);
  await owner.register('Olive');
  const other = new TestClient(app.baseUrl);
  await other.register('Otto');
  t.is((await other.get('/u/Olive/edit')).status, 403);
  t.is((await other.post('/u/Olive/edit', { bio: 'hacked' })).status, 403);
  t.is((await new TestClient(app.baseUrl).get('/u/Olive/edit')).status, 302);
  t.is((await owner.get('/u/nobody-here/edit')).status, 404);
  const link = await owner.get('/u/Olive/edit');
  t.is(link.status, 302);
  t.is(link.location, '/settings#profile');
  const posted = await owner.post('/u/Olive/edit', { bio: 'Hello <b>there</b>' });
  t.is(posted.status, 308, 'the same POST, handed on');
  t.is(posted.location, '/settings/profile');
});

test('API tokens: created once on the page, work as bearer, revoked by their owner only', async (t) => {
  const owner = new TestClient(app.baseUrl);
  await owner.register('Tokie');
  const created = await owner.post('/settings/tokens', { name: 'script' });
  t.is(created.status, 302);
  const page = await owner.get(created.location!);
  const token = /data-testid="new-token">([^<]+)</.exec(page.text)![1]!;
  t.regex(token, /^pc_/);
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 200);
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', 'pc_forged')).status, 401);
  const id = /\/settings\/tokens\/(\d+)\/delete/.exec(page.text)![1]!;
  const other = new TestClient(app.baseUrl);
  await other.register('Thief');
  t.is((await other.post(`/settings/tokens/${id}/delete`)).status, 404);
  t.is((await owner.post(`/settings/tokens/${id}/delete`)).status, 302);
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 401);
});

test('registration can be switched off', async (t) => {
  const closed = spawnApp(['web'], {
    DATABASE_URL: app.db.url,
    ALLOW_USER_REGISTRATION: 'false',
  });
  t.teardown(() => closed.child.kill('SIGKILL'));
  const client = new TestClient(await waitForListening(closed));
  t.is((await client.get('/auth/register')).status, 403);
  t.is((await client.register('Late')).status, 403);
  const home = await client.get('/');
  t.false(home.text.includes('/auth/register'));
  t.is(await User.query().where({ username: 'Late' }).resultSize(), 0);
});
