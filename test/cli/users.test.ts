/**
 * The account commands of the CLI as an administrator runs them: separate
 * processes on the app's database, passwords piped on stdin.
 */
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli';
import { api, TestClient } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

const cli = (args: string[], stdin = '') =>
  runCli(args, { DATABASE_URL: app.db.url, LOG_LEVEL: 'error' }, stdin);

test('user:list shows every account with its status and bookmarks, also as JSON', async (t) => {
  const user = await aUser({ username: 'Listed' });
  await cli(['user:disable', 'Listed']);
  const text = await cli(['user:list']);
  t.is(text.code, 0, text.stderr);
  t.regex(text.stdout, /^ID\s+USERNAME\s+EMAIL\s+CREATED\s+BOOKMARKS\s+STATUS$/m);
  t.regex(
    text.stdout,
    new RegExp(
      `^${user.id}\\s+Listed\\s+listed@example\\.test\\s+\\d{4}-\\d\\d-\\d\\d\\s+0\\s+disabled since`,
      'm',
    ),
  );
  const json = await cli(['user:list', '--json']);
  const rows = JSON.parse(json.stdout) as Array<{ username: string; disabledAt: string | null }>;
  t.truthy(rows.find((row) => row.username === 'Listed')?.disabledAt);
});

test('user:disable and user:enable: sign-in, sessions and tokens follow', async (t) => {
  const user = await aUser({ username: 'Switched' });
  const token = await aToken(user.id);
  const browser = new TestClient(app.baseUrl);
  t.is((await browser.login('Switched')).status, 302);

  const disabled = await cli(['user:disable', 'switched']);
  t.is(disabled.code, 0, disabled.stderr);
  t.regex(disabled.stdout, /Disabled switched/);
  t.regex((await cli(['user:disable', 'Switched'])).stdout, /already disabled/);
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 401);
  t.is((await browser.get('/settings')).status, 302);
  t.is((await new TestClient(app.baseUrl).login('Switched')).status, 403);

  t.is((await cli(['user:enable', 'Switched'])).code, 0);
  t.is((await api(app.baseUrl, 'GET', '/api/v1/bookmarks', token)).status, 200);
  t.is((await new TestClient(app.baseUrl).login('Switched')).status, 302);

  const missing = await cli(['user:disable', 'nobody-by-that-name']);
  t.is(missing.code, 1);
  t.regex(missing.stderr, /There is no user called nobody-by-that-name/);
  t.is((await cli(['user:disable'])).code, 2);
});

test('user:password from stdin: the new password signs in, the old one no longer', async (t) => {
  await aUser({ username: 'Forgetful' });
  const reset = await cli(['user:password', 'Forgetful'], 'a brand new password\n');
  t.is(reset.code, 0, reset.stderr);
  t.regex(reset.stdout, /New password set for Forgetful/);
  t.is(reset.stderr, '', 'no prompt or warning on a pipe');
  t.is((await new TestClient(app.baseUrl).login('Forgetful')).status, 401);
  t.is((await new TestClient(app.baseUrl).login('Forgetful', 'a brand new password')).status, 302);

  const short = await cli(['user:password', 'Forgetful'], 'short\n');
  t.is(short.code, 2);
  t.regex(short.stderr, /at least 10 characters/);
  const none = await cli(['user:password', 'Forgetful']);
  t.is(none.code, 2);
  t.regex(none.stderr, /the input ended/);
  t.is((await new TestClient(app.baseUrl).login('Forgetful', 'a brand new password')).status, 302);
});

test('a password on the command line works, with a warning', async (t) => {
  await aUser({ username: 'Scripted' });
  const run = await cli(['user:password', 'Scripted', '--password', 'given on argv 123']);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stderr, /^Warning: a password given on the command line can be seen by other users/);
  t.is((await new TestClient(app.baseUrl).login('Scripted', 'given on argv 123')).status, 302);
});

test('user:create reads the email and the password from stdin', async (t) => {
  const run = await cli(['user:create', 'Piped'], 'piped@example.test\nlong enough password\n');
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, /Created user Piped/);
  t.is(
    (await new TestClient(app.baseUrl).login('piped@example.test', 'long enough password')).status,
    302,
  );
});
