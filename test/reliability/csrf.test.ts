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
  // A page with a form still gets its session and token.
  const login = await fetch(`${app.baseUrl}/auth/login`);
  t.true(login.headers.getSetCookie().some((c) => c.startsWith('pebbling.sid=')));
  t.regex(await login.text(), /name="_csrf" value="[^"]{20,}"/);
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
