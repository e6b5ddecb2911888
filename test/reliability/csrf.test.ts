/**
 * CSRF on every state-changing route. The routes are not listed by hand: they
 * are read from the routers of the app createApp() builds, so a route added
 * tomorrow is checked too. A signed-in session without the token gets 403
 * csrf_failed on each; with the token the same request passes the check
 * (whatever the route then answers), so the 403 is the token's doing.
 */
import type Router from '@koa/router';
import test from 'ava';
import type Koa from 'koa';
import { createLogger } from '../../src/logging/logger';
import { createApp } from '../../src/web/app';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken, aUser } from '../helpers/factories';
import { anonymousSession, type Session, signIn } from './support';

let app: TestApp;
let session: Session;
let anonymous: Session;

test.before(async () => {
  app = await startTestApp({}, 'web');
  await aUser({ username: 'csrfvictim' });
  session = await signIn(app.baseUrl, 'csrfvictim');
  anonymous = await anonymousSession(app.baseUrl);
});
test.after.always(async () => {
  await app?.stop();
});

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Every state-changing route of the app, from the routers in its middleware stack. */
function stateChangingRoutes(koa: Koa): Array<{ method: string; path: string }> {
  const routes: Array<{ method: string; path: string }> = [];
  for (const middleware of koa.middleware) {
    const router = (middleware as { router?: Router }).router;
    if (!router) continue;
    for (const layer of router.stack) {
      // router.all() layers (405 answers) take every method, GET included: not a route.
      if (layer.methods.includes('GET')) continue;
      for (const method of layer.methods) {
        if (STATE_CHANGING.has(method)) routes.push({ method, path: String(layer.path) });
      }
    }
  }
  return routes;
}

const routes = () =>
  stateChangingRoutes(
    createApp({ config: app.config, logger: createLogger('silent'), db: app.running.db }),
  );

const concrete = (path: string) =>
  path.replace(/:[A-Za-z]+/g, (name) => (name === ':username' ? 'csrfvictim' : '1'));

async function attempt(
  who: Session,
  method: string,
  path: string,
  token: string | undefined,
): Promise<{ status: number; code: string | undefined }> {
  const body = new URLSearchParams({ title: 'forged', url: 'https://forged.example/' });
  if (token) body.set('_csrf', token);
  const response = await fetch(`${app.baseUrl}${concrete(path)}`, {
    method,
    redirect: 'manual',
    signal: AbortSignal.timeout(10_000),
    headers: {
      cookie: who.cookie,
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      // DELETE bodies are not parsed: scripts send the token in the header.
      ...(token ? { 'x-csrf-token': token } : {}),
    },
    body: body.toString(),
  });
  const text = await response.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  return { status: response.status, code };
}

test('the route list is read from the app and covers every domain', (t) => {
  const list = routes().map((r) => `${r.method} ${r.path}`);
  t.log(`${list.length} state-changing routes: ${list.join(', ')}`);
  for (const expected of [
    'POST /auth/login',
    'POST /auth/logout',
    'POST /bookmarks/new',
    'POST /bookmarks/:id/delete',
    'POST /api/v1/bookmarks',
    'PATCH /api/v1/bookmarks/:id',
    'DELETE /api/v1/bookmarks/:id',
    'POST /feeds',
    'POST /feeds/:id/delete',
    'POST /import/submit',
    'POST /api/v1/imports',
    'POST /settings/tokens',
    'POST /u/:username/edit',
  ]) {
    t.true(list.includes(expected), `${expected} is among the routes`);
  }
});

test('a signed-in session without the CSRF token is refused with 403 on every one', async (t) => {
  for (const { method, path } of routes()) {
    const missing = await attempt(session, method, path, undefined);
    t.is(missing.status, 403, `${method} ${path} without a token`);
    t.is(missing.code, 'csrf_failed', `${method} ${path} without a token`);
    const forged = await attempt(session, method, path, 'forged-token-from-another-site');
    t.is(forged.status, 403, `${method} ${path} with a forged token`);
  }
  // Still signed in: logout was refused without its token.
  const page = await fetch(`${app.baseUrl}/settings/tokens`, {
    headers: { cookie: session.cookie },
    redirect: 'manual',
  });
  t.is(page.status, 200);
  // With the token each passes the check. Logout, then "sign out everywhere"
  // come last: they end the session and its token (every session of the user,
  // for the second, which gets a session of its own).
  const rank = (path: string) =>
    path === '/settings/sessions/revoke' ? 2 : path === '/auth/logout' ? 1 : 0;
  const ordered = routes().sort((a, b) => rank(a.path) - rank(b.path));
  for (const { method, path } of ordered) {
    const who = rank(path) === 2 ? await signIn(app.baseUrl, 'csrfvictim') : session;
    const genuine = await attempt(who, method, path, who.csrf);
    t.not(genuine.code, 'csrf_failed', `${method} ${path} with the right token passes the check`);
    t.not(genuine.status, 500, `${method} ${path}`);
  }
});

test('an anonymous session without the token is refused too (login CSRF)', async (t) => {
  for (const { method, path } of routes()) {
    const missing = await attempt(anonymous, method, path, undefined);
    if (path.startsWith('/api/')) {
      // The API without a signed-in user answers 401: there is no one to act as.
      t.is(missing.status, 401, `${method} ${path}`);
    } else {
      t.is(missing.status, 403, `${method} ${path}`);
      t.is(missing.code, 'csrf_failed', `${method} ${path}`);
    }
  }
});

test('no session cookie for requests that need no token: health checks, feeds, static files, API tokens', async (t) => {
  const user = await aUser();
  const token = await aToken(user.id);
  const quiet = [
    await fetch(`${app.baseUrl}/healthz`),
    await fetch(`${app.baseUrl}/u/${user.username}/feed.atom`),
    await fetch(`${app.baseUrl}/static/app.css`),
    await fetch(`${app.baseUrl}/api/v1/bookmarks`, {
      headers: { authorization: `Bearer ${token}` },
    }),
  ];
  for (const response of quiet) {
    t.is(response.status, 200, response.url);
    t.deepEqual(response.headers.getSetCookie(), [], response.url);
  }
  // A page with a form gets its token, in a cookie of its own: no session.
  const login = await fetch(`${app.baseUrl}/auth/login`);
  t.false(login.headers.getSetCookie().some((c) => c.startsWith('pebbling.sid')));
  t.true(login.headers.getSetCookie().some((c) => c.startsWith('pebbling.csrf=')));
  t.regex(await login.text(), /name="_csrf" value="[^"]{20,}"/);
});

/** A fresh visitor's login page: its CSRF cookies (name=value pairs) and the form's token. */
async function visitor(): Promise<{ cookies: string[]; token: string; setCookie: string[] }> {
  const page = await fetch(`${app.baseUrl}/auth/login`);
  const setCookie = page.headers.getSetCookie();
  return {
    setCookie,
    cookies: setCookie.map((c) => c.split(';')[0]!),
    token: /name="_csrf" value="([^"]+)"/.exec(await page.text())![1]!,
  };
}

async function login(cookies: string[], token: string | undefined) {
  const body = new URLSearchParams({ username: 'csrfvictim', password: 'wrong password here' });
  if (token !== undefined) body.set('_csrf', token);
  const response = await fetch(`${app.baseUrl}/auth/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: cookies.join('; '),
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body,
  });
  const text = await response.text();
  return { status: response.status, csrfFailed: text.includes('csrf_failed') };
}

test('anonymous forms: a signed double-submit cookie, HttpOnly and SameSite=Lax, that must match the field', async (t) => {
  const alice = await visitor();
  t.is(alice.setCookie.length, 2, 'the token and its signature');
  for (const cookie of alice.setCookie) {
    t.regex(cookie, /; path=\//i, cookie);
    t.regex(cookie, /; samesite=lax/i, cookie);
    t.regex(cookie, /; httponly/i, cookie);
    t.notRegex(cookie, /; (expires|max-age)=/i, 'gone with the browser session');
  }
  t.is(alice.cookies[0], `pebbling.csrf=${alice.token}`, 'the field repeats the cookie');

  // The matching pair passes the check: the login itself then fails on the password.
  const genuine = await login(alice.cookies, alice.token);
  t.is(genuine.status, 401);
  t.false(genuine.csrfFailed);

  const bob = await visitor();
  const refused = {
    'no cookie': await login([], alice.token),
    'no field': await login(alice.cookies, undefined),
    "another visitor's token": await login(alice.cookies, bob.token),
    'a cookie without its signature': await login([alice.cookies[0]!], alice.token),
    'a cookie made up to match the field': await login(
      [`pebbling.csrf=${'x'.repeat(32)}`, alice.cookies[1]!],
      'x'.repeat(32),
    ),
  };
  for (const [what, result] of Object.entries(refused)) {
    t.is(result.status, 403, what);
    t.true(result.csrfFailed, what);
  }
});

test('a signed-in session takes only its own token, not an anonymous cookie pair', async (t) => {
  const signedIn = await signIn(app.baseUrl, 'csrfvictim');
  const anonymousPair = await visitor();
  const tokens = await fetch(`${app.baseUrl}/settings/tokens`, {
    method: 'POST',
    redirect: 'manual',
    headers: {
      cookie: [signedIn.cookie, ...anonymousPair.cookies].join('; '),
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ name: 'forged', _csrf: anonymousPair.token }),
  });
  t.is(tokens.status, 403);
  t.not(signedIn.csrf, anonymousPair.token);
});

test('the logout form on an error page works (its token was saved with the session)', async (t) => {
  await aUser({ username: 'csrferrorpage' });
  const signedIn = await signIn(app.baseUrl, 'csrferrorpage');
  const missing = await fetch(`${app.baseUrl}/bookmarks/999999999`, {
    headers: { cookie: signedIn.cookie },
  });
  t.is(missing.status, 404);
  const token = /name="_csrf" value="([^"]+)"/.exec(await missing.text())?.[1];
  t.truthy(token);
  const logout = await fetch(`${app.baseUrl}/auth/logout`, {
    method: 'POST',
    headers: { cookie: signedIn.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: token ?? '' }),
    redirect: 'manual',
  });
  t.is(logout.status, 302);
});
