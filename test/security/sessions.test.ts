/**
 * Issue #15, items 5 and 12: sessions live in PostgreSQL and end for good at
 * logout, at a password change and by "sign out everywhere"; a copy of an
 * old cookie opens nothing. Passwords are judged by strength, not length.
 * Forms show errors the accessible way (aria-invalid, aria-describedby,
 * autofocus on the first invalid field).
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { User } from '../../src/users';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClient } from '../helpers/client';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

const PASSWORD = 'correct horse battery';
const jarOf = (client: TestClient) =>
  (client as unknown as { cookies: Map<string, string> }).cookies;
const cookieOf = (client: TestClient) => jarOf(client).get('pebbling.sid');
/** The session cookie's signature, as a cookie pair. */
const sigOf = (client: TestClient) => [`pebbling.sid.sig=${jarOf(client).get('pebbling.sid.sig')}`];

/** A client carrying someone else's cookies, as a thief with a copy would. */
function copyOf(client: TestClient): TestClient {
  const copy = new TestClient(app.baseUrl);
  const jar = (copy as unknown as { cookies: Map<string, string> }).cookies;
  for (const [k, v] of (client as unknown as { cookies: Map<string, string> }).cookies) {
    jar.set(k, v);
  }
  return copy;
}

async function registered(name: string): Promise<TestClient> {
  const client = new TestClient(app.baseUrl);
  const response = await client.register(name);
  if (response.status !== 302) throw new Error(`register ${name}: ${response.status}`);
  return client;
}

const signedIn = async (client: TestClient) =>
  (await client.get('/settings/security')).status === 200;

test('after logout a copied cookie opens nothing and creates no token', async (t) => {
  const client = await registered('Copycat');
  const thief = copyOf(client);
  t.true(await signedIn(thief), 'the copy works while the session lives');
  t.is((await client.post('/auth/logout')).status, 302);
  t.false(await signedIn(thief));
  const page = await thief.get('/settings/tokens');
  t.is(page.status, 302);
  t.regex(page.location ?? '', /^\/auth\/login/);
  const user = await User.query().findOne({ username: 'Copycat' });
  const created = await thief.request('POST', '/settings/tokens', {
    body: 'name=stolen',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
  });
  t.true(created.status === 401 || created.status === 403, String(created.status));
  t.is(
    Number((await app.db.knex('api_tokens').where({ user_id: user!.id }).count({ n: '*' }))[0]!.n),
    0,
  );
});

test('the session is a row keyed by the hash of the cookie id; login gives a new id and deletes the old row', async (t) => {
  await registered('Rower');
  const rowOf = (id: string) =>
    app.db
      .knex('sessions')
      .where({ id: createHash('sha256').update(decodeURIComponent(id)).digest('hex') })
      .first();
  // A session this browser had before logging in: signed in already (as the
  // same person, or someone else on a shared computer).
  const client = new TestClient(app.baseUrl);
  t.is((await client.login('Rower')).status, 302);
  const before = cookieOf(client)!.split('.')[0]!;
  t.truthy(await rowOf(before), 'the session is stored');
  t.falsy(await app.db.knex('sessions').where({ id: before }).first(), 'never the id itself');
  t.is((await client.login('Rower')).status, 302);
  const after = cookieOf(client)!.split('.')[0]!;
  t.not(after, before);
  t.falsy(await rowOf(before), 'the pre-login session is gone');
  const row = await rowOf(after);
  const user = await User.query().findOne({ username: 'Rower' });
  t.is(Number(row.user_id), user!.id);
  t.true(row.expires_at.getTime() > Date.now() + 13 * 24 * 3600 * 1000);
});

test('an anonymous session (the flash after "sign out everywhere") is replaced at login, not reused', async (t) => {
  const client = await registered('Flasher');
  t.is((await client.post('/settings/sessions/revoke')).status, 302);
  const planted = cookieOf(client)!.split('.')[0]!;
  const rowOf = (id: string) =>
    app.db
      .knex('sessions')
      .where({ id: createHash('sha256').update(decodeURIComponent(id)).digest('hex') })
      .first();
  t.is((await rowOf(planted)).user_id, null, 'an anonymous row carrying the flash');
  // The login form's token comes from the CSRF cookie; the flash session goes along.
  const form = await fetch(`${app.baseUrl}/auth/register`, { redirect: 'manual' });
  const csrfCookies = form.headers.getSetCookie().map((c) => c.split(';')[0]);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
  const login = await fetch(`${app.baseUrl}/auth/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: [`pebbling.sid=${cookieOf(client)}`, ...sigOf(client), ...csrfCookies].join('; '),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ username: 'Flasher', password: PASSWORD, _csrf: csrf }),
  });
  t.is(login.status, 302);
  const sid = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('pebbling.sid='))!
    .split(';')[0]!
    .slice('pebbling.sid='.length)
    .split('.')[0]!;
  t.not(sid, planted, 'a new id at login');
  t.falsy(await rowOf(planted), 'the old row is deleted');
  t.truthy(await rowOf(sid));
});

test('a password change signs out every other browser, keeps this one, and the old password stops working', async (t) => {
  const here = await registered('Changer');
  const elsewhere = new TestClient(app.baseUrl);
  t.is((await elsewhere.login('Changer')).status, 302);
  const oldCookie = cookieOf(here);
  const page = await here.get('/settings/security');
  t.regex(page.text, /<label>Current password/);
  t.regex(page.text, /<label>New password/);
  t.regex(page.text, /<button type="submit">Change password<\/button>/);
  t.regex(page.text, /<button type="submit" class="danger">Sign out everywhere<\/button>/);
  t.regex(page.text, /signed in on 2 browsers/);

  const changed = await here.post('/settings/password', {
    current_password: PASSWORD,
    new_password: 'a new battery staple horse',
  });
  t.is(changed.status, 302, changed.text);
  t.not(cookieOf(here), oldCookie, 'this browser got a new session id');
  const after = await here.get('/settings/security');
  t.is(after.status, 200, 'this browser is still signed in');
  t.regex(after.text, /Password changed/);
  t.false(await signedIn(elsewhere));
  t.is((await new TestClient(app.baseUrl).login('Changer')).status, 401);
  t.is(
    (await new TestClient(app.baseUrl).login('Changer', 'a new battery staple horse')).status,
    302,
  );
});

test('password change errors: the wrong current password, a weak new one; each on its field', async (t) => {
  const client = await registered('Fumbler');
  const wrong = await client.post('/settings/password', {
    current_password: 'not my password at all',
    new_password: 'a new battery staple horse',
  });
  t.is(wrong.status, 422);
  t.regex(
    wrong.text,
    /<p id="current_password-error" class="field-error">That is not your current password\.<\/p>/,
  );
  t.regex(
    wrong.text,
    /name="current_password" autocomplete="current-password" required aria-invalid="true" aria-describedby="current_password-error" autofocus>/,
  );
  t.notRegex(wrong.text, /name="new_password"[^>]*aria-invalid/);

  const weak = await client.post('/settings/password', {
    current_password: PASSWORD,
    new_password: 'Fumbler12345',
  });
  t.is(weak.status, 422);
  t.regex(
    weak.text,
    /<p id="new_password-error" class="field-error">This password is too easy to guess/,
  );
  t.regex(weak.text, /name="new_password"[^>]*aria-describedby="new_password-error" autofocus>/);
  t.is((await new TestClient(app.baseUrl).login('Fumbler')).status, 302, 'unchanged');
});

test('"sign out everywhere" ends every session, this one too', async (t) => {
  const here = await registered('Leaver');
  const elsewhere = new TestClient(app.baseUrl);
  await elsewhere.login('Leaver');
  const thief = copyOf(here);
  const out = await here.post('/settings/sessions/revoke');
  t.is(out.status, 302);
  t.is(out.location, '/auth/login');
  t.regex((await here.get('/auth/login')).text, /signed out everywhere/);
  for (const client of [here, elsewhere, thief]) t.false(await signedIn(client));
  const user = await User.query().findOne({ username: 'Leaver' });
  t.is(
    Number((await app.db.knex('sessions').where({ user_id: user!.id }).count({ n: '*' }))[0]!.n),
    0,
  );
});

test('a renamed user is shown by the new name at once (the name comes from users, not the session)', async (t) => {
  const client = await registered('Oldname');
  await User.query().patch({ username: 'Newname' }).where({ username: 'Oldname' });
  const page = await client.get('/settings/security');
  t.regex(page.text, /href="\/u\/Newname"/);
});

test('weak passwords are refused at registration, with what to do instead', async (t) => {
  const cases: Array<[string, string]> = [
    ['Spacey', ' '.repeat(10)],
    ['samename1234', 'samename1234'],
    ['Commoner', 'password1234'],
  ];
  for (const [username, password] of cases) {
    const response = await new TestClient(app.baseUrl).register(username, password);
    t.is(response.status, 422, `${username}: ${response.status}`);
    t.regex(
      response.text,
      /<p id="password-error" class="field-error">This password is too easy to guess\./,
    );
    t.regex(
      response.text,
      /name="password"[^>]*aria-invalid="true" aria-describedby="password-error" autofocus>/,
    );
    t.is(await User.query().where({ username }).resultSize(), 0);
  }
  t.is((await new TestClient(app.baseUrl).register('Strongman', PASSWORD)).status, 302);
});

test('login and registration forms mark the first invalid field and point at its message', async (t) => {
  const login = await new TestClient(app.baseUrl).post('/auth/login', {
    username: '',
    password: '',
  });
  t.is(login.status, 422);
  t.regex(login.text, /<p id="username-error" class="field-error">Enter your username\.<\/p>/);
  t.regex(
    login.text,
    /name="username" value="" autocomplete="username" required aria-invalid="true" aria-describedby="username-error" autofocus>/,
  );
  t.regex(
    login.text,
    /name="password" autocomplete="current-password" required aria-invalid="true" aria-describedby="password-error">/,
  );

  const register = await new TestClient(app.baseUrl).post('/auth/register', {
    username: 'fine_name',
    email: 'not-an-email',
    password: 'short',
  });
  t.is(register.status, 422);
  t.regex(register.text, /name="email"[^>]*aria-describedby="email-error" autofocus>/);
  t.regex(
    register.text,
    /<p id="password-error" class="field-error">Passwords need at least 10 characters\.<\/p>/,
  );
  t.notRegex(register.text, /name="username"[^>]*aria-invalid/);
});

test.serial(
  'no page an anonymous visitor GETs stores a session row, not even one with a form',
  async (t) => {
    await registered('Reader');
    const count = async () => Number((await app.db.knex('sessions').count({ n: '*' }))[0]!.n);
    const before = await count();
    for (const path of ['/', '/bookmarks', '/t/', '/u/Reader', '/bookmarks?format=markdown']) {
      const response = await fetch(`${app.baseUrl}${path}`);
      t.is(response.status, 200, path);
      t.deepEqual(response.headers.getSetCookie(), [], path);
    }
    // Pages with a form: a token in a signed cookie of its own, no session.
    for (const path of ['/auth/login', '/auth/register', '/auth/login?next=/settings']) {
      const form = await fetch(`${app.baseUrl}${path}`);
      t.is(form.status, 200, path);
      const names = form.headers.getSetCookie().map((c) => c.split('=')[0]);
      t.deepEqual(names, ['pebbling.csrf', 'pebbling.csrf.sig'], path);
      t.regex(await form.text(), /name="_csrf" value="[\w-]{32}"/, path);
    }
    // A flood of them: still nothing stored.
    await Promise.all(
      Array.from({ length: 200 }, () => fetch(`${app.baseUrl}/auth/login`).then((r) => r.text())),
    );
    // A failed login is anonymous too.
    const visitor = new TestClient(app.baseUrl);
    t.is((await visitor.login('Reader', 'not the password at all')).status, 401);
    t.is(await count(), before, 'no session row for any anonymous GET');
  },
);
