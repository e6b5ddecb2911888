/**
 * Issue #15, items 4, 6 and 13: behind a TLS proxy. With PUBLIC_URL=https://…
 * and TRUST_PROXY=true, a request the proxy marks https gets Secure cookies
 * and HSTS; with TRUST_PROXY off nothing answers 500 any more, and
 * X-Forwarded-For is not believed. Also the small things: CSP base-uri, no
 * CSRF token from the query string, and /readyz keeps database errors to the
 * log. Two real web processes on one database.
 */
import test from 'ava';
import type { Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aUser } from '../helpers/factories';
import {
  type AppProcess,
  quietKnex,
  signIn,
  spawnWeb,
  stopAll,
  stopProcess,
} from '../reliability/support';

let db: TestDatabase;
let knex: Knex;
let trusting: AppProcess;
let plain: AppProcess;

test.before(async () => {
  db = await createTestDatabase({ bindModels: false });
  knex = quietKnex(db.url);
  Model.knex(knex);
  await aUser({ username: 'proxied' });
  const env = { PUBLIC_URL: 'https://bookmarks.example.org' };
  [trusting, plain] = await Promise.all([
    spawnWeb(db.url, { ...env, TRUST_PROXY: 'true' }),
    spawnWeb(db.url, env),
  ]);
});

test.after.always(async () => {
  await Promise.all([stopProcess(trusting), stopProcess(plain)]);
  await stopAll();
  await knex?.destroy();
  await db?.close();
});

const loginPage = (app: AppProcess, headers: Record<string, string> = {}) =>
  fetch(`${app.url}/auth/login`, { headers });

test.serial(
  'TRUST_PROXY and an https PUBLIC_URL: Secure cookies and HSTS for what the proxy marks https',
  async (t) => {
    const https = await loginPage(trusting, { 'x-forwarded-proto': 'https' });
    t.is(https.status, 200);
    const cookies = https.headers.getSetCookie();
    t.true(cookies.length > 0);
    for (const cookie of cookies) t.regex(cookie, /; secure/i, cookie);
    t.regex(https.headers.get('strict-transport-security') ?? '', /^max-age=31536000$/);

    // Straight to the app over plain HTTP: no Secure flag it could not honour, no HSTS.
    const direct = await loginPage(trusting);
    t.is(direct.status, 200);
    for (const cookie of direct.headers.getSetCookie()) t.notRegex(cookie, /; secure/i);
    t.is(direct.headers.get('strict-transport-security'), null);
  },
);

test.serial(
  'TRUST_PROXY off: an https PUBLIC_URL no longer makes pages 500; the headers are not believed',
  async (t) => {
    const page = await loginPage(plain, { 'x-forwarded-proto': 'https' });
    t.is(page.status, 200);
    for (const cookie of page.headers.getSetCookie()) t.notRegex(cookie, /; secure/i);
    t.is(page.headers.get('strict-transport-security'), null);
    t.regex(plain.app.output(), /PUBLIC_URL is https but TRUST_PROXY is off/);

    // Every guess comes from 127.0.0.1 whatever X-Forwarded-For claims.
    await aUser({ username: 'notfooled' });
    const guess = async (i: number, password: string) => {
      const form = await fetch(`${plain.url}/auth/login`);
      const cookie = form.headers
        .getSetCookie()
        .map((c) => c.split(';')[0])
        .join('; ');
      const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())![1]!;
      return fetch(`${plain.url}/auth/login`, {
        method: 'POST',
        redirect: 'manual',
        headers: {
          cookie,
          'content-type': 'application/x-www-form-urlencoded',
          'x-forwarded-for': `192.0.2.${i}`,
        },
        body: new URLSearchParams({ username: 'notfooled', password, _csrf: csrf }).toString(),
      });
    };
    for (let i = 0; i < 5; i++) t.is((await guess(i, `wrong ${i}`)).status, 401);
    t.is((await guess(99, 'correct horse battery')).status, 429);
  },
);

test.serial('CSP forbids <base> and plugins; pages still carry their other headers', async (t) => {
  const page = await loginPage(plain);
  const csp = page.headers.get('content-security-policy') ?? '';
  t.regex(csp, /base-uri 'none'/);
  t.regex(csp, /object-src 'none'/);
  t.regex(csp, /frame-ancestors 'none'/);
  t.is(page.headers.get('x-content-type-options'), 'nosniff');
});

test.serial('the CSRF token is not taken from the query string', async (t) => {
  const session = await signIn(plain.url, 'proxied');
  const viaQuery = await fetch(
    `${plain.url}/auth/logout?_csrf=${encodeURIComponent(session.csrf)}`,
    { method: 'POST', redirect: 'manual', headers: { cookie: session.cookie } },
  );
  t.is(viaQuery.status, 403);
  t.regex(await viaQuery.text(), /form has expired or came from another site/);
  const viaField = await fetch(`${plain.url}/auth/logout`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: session.csrf }).toString(),
  });
  t.is(viaField.status, 302);
});

test.serial('/readyz says the database is unavailable, and no more', async (t) => {
  const name = new URL(db.url).pathname.slice(1);
  const admin = new pg.Client({ connectionString: process.env.TEST_ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [name],
    );
    const ready = await fetch(`${plain.url}/readyz`);
    t.is(ready.status, 503);
    t.deepEqual(await ready.json(), { status: 'unavailable', database: 'unavailable' });
    t.regex(plain.app.output(), /readiness check: database unavailable/);
  } finally {
    await admin.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
    await admin.end();
  }
});
