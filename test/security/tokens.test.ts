/**
 * Where an API token signs a request in (src/web/middleware/auth.ts): the API
 * and the endpoints scripts use, never the account pages. Found in review: a
 * token could POST /settings/tokens (minting a token that outlived its own
 * revocation, read back through the session cookie set on that request),
 * sign its owner out everywhere and change the profile.
 */
import test from 'ava';
import { person } from '../bookmarks/support';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken } from '../helpers/factories';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

const withToken = (token: string, init: RequestInit = {}) => ({
  ...init,
  redirect: 'manual' as const,
  headers: { authorization: `Bearer ${token}`, ...(init.headers as Record<string, string>) },
});
const form = (fields: Record<string, string>): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

test('a token cannot manage its account: no new tokens, no signing out, no profile or password change', async (t) => {
  const owner = await person(app, 'tokenowner');
  const token = await aToken(owner.id);
  const tokens = () => app.db.knex('api_tokens').where({ user_id: owner.id }).count({ n: '*' });
  const sessions = () => app.db.knex('sessions').where({ user_id: owner.id }).count({ n: '*' });
  const before = { tokens: (await tokens())[0]!.n, sessions: (await sessions())[0]!.n };

  const attempts: Array<[string, RequestInit]> = [
    ['/settings/tokens', form({ name: 'minted' })],
    ['/settings/sessions/revoke', form({})],
    ['/settings/profile', form({ bio: 'written by a token' })],
    ['/settings/password', form({ current: 'x', password: 'y', password_confirm: 'y' })],
    ['/settings/tokens', {}],
    ['/bookmarks', {}],
  ];
  for (const [path, init] of attempts) {
    const response = await fetch(`${app.baseUrl}${path}`, withToken(token, init));
    t.is(response.status, 401, `${init.method ?? 'GET'} ${path}`);
    t.regex(await response.text(), /API tokens work on the API/, path);
    t.deepEqual(response.headers.getSetCookie(), [], `${path}: no session for a token`);
  }
  t.is((await tokens())[0]!.n, before.tokens, 'no token minted');
  t.is((await sessions())[0]!.n, before.sessions, 'no session signed out');
  t.is((await owner.client.get('/settings')).status, 200, 'the owner is still signed in');
  t.notRegex((await owner.client.get(`/u/${owner.username}`)).text, /written by a token/);
});

test('a token works where scripts need it: the API, the feeds JSON, OPML and the exports', async (t) => {
  const owner = await person(app, 'tokenscript');
  const token = await aToken(owner.id);
  for (const path of [
    '/api/v1/bookmarks',
    '/feeds/get?urls=https://nothing.example/feed.xml',
    '/feeds/export.opml',
    '/bookmarks/export/netscape.html',
  ]) {
    const response = await fetch(`${app.baseUrl}${path}`, withToken(token));
    t.is(response.status, 200, path);
  }
  const revoked = await fetch(`${app.baseUrl}/api/v1/bookmarks`, withToken('pc_not-a-token'));
  t.is(revoked.status, 401);
});

test("a proxy's Basic auth in front of the app is not ours: the session still decides", async (t) => {
  const owner = await person(app, 'behindproxy');
  const basic = { authorization: 'Basic dXNlcjpwYXNz' };
  t.is((await owner.client.get('/bookmarks', basic)).status, 200);
  const check = await owner.client.get('/api/v1/bookmarks/check?url=https://a.example/', {
    ...basic,
    accept: 'application/json',
  });
  t.is(check.status, 200, check.text);
});
