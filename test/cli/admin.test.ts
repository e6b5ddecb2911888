/**
 * `user:admin` as an administrator runs it: a separate process on the app's
 * database grants and revokes admin, and /status, on the running app,
 * follows at the next request: everyone's numbers for an admin, only the
 * user's own otherwise.
 */
import test from 'ava';
import { compactEvents } from '../../src/metrics';
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

const cli = (args: string[]) => runCli(args, { DATABASE_URL: app.db.url, LOG_LEVEL: 'error' });

/** A user who saved `count` bookmarks through the API, signed in to the pages. */
async function someone(username: string, count: number): Promise<TestClient> {
  const user = await aUser({ username });
  const token = await aToken(user.id);
  for (let i = 0; i < count; i++) {
    const made = await api(app.baseUrl, 'POST', '/api/v1/bookmarks', token, {
      url: `https://admin.invalid/${username}/${i}`,
    });
    if (made.status !== 201) throw new Error(`bookmark: ${made.status}`);
  }
  const client = new TestClient(app.baseUrl);
  if ((await client.login(username)).status !== 302) throw new Error('login failed');
  return client;
}

/** What /status says about whose numbers it shows, and the bookmarks it counts. */
async function statusOf(client: TestClient) {
  const page = await client.get('/status');
  if (page.status !== 200) throw new Error(`/status: ${page.status}`);
  const created = /data-testid="legend-bookmarks-created-api">.*?<\/span>api <strong>(\d+)</.exec(
    page.text,
  );
  return {
    everyone: /for everyone \(you are an admin\)/.test(page.text),
    own: /What you did here/.test(page.text),
    bookmarks: Number(created?.[1]),
    pollCharts: /data-testid="chart-feed-polls"/.test(page.text),
  };
}

test.serial(
  'user:admin grants and revokes; /status shows everyone’s numbers or only the user’s',
  async (t) => {
    const dora = await someone('Dora', 2);
    await someone('Emil', 3);
    await compactEvents(app.db.knex);
    const own = { everyone: false, own: true, bookmarks: 2, pollCharts: false };
    t.deepEqual(await statusOf(dora), own);

    const granted = await cli(['user:admin', 'dora']);
    t.is(granted.code, 0, granted.stderr);
    t.is(granted.stdout, 'dora is now an admin.\n');
    t.deepEqual(await statusOf(dora), {
      everyone: true,
      own: false,
      bookmarks: 5,
      pollCharts: true,
    });
    t.is((await cli(['user:admin', 'Dora'])).code, 0, 'granting again changes nothing');
    t.true((await statusOf(dora)).everyone);

    const revoked = await cli(['user:admin', 'Dora', '--revoke']);
    t.is(revoked.code, 0, revoked.stderr);
    t.is(revoked.stdout, 'Dora is no longer an admin.\n');
    t.deepEqual(await statusOf(dora), own);
  },
);

test.serial('user:admin refuses a missing or unknown username, and changes no one', async (t) => {
  const missing = await cli(['user:admin', 'nobody-by-that-name']);
  t.is(missing.code, 2);
  t.is(missing.stderr, 'There is no user called nobody-by-that-name.\n');
  for (const args of [['user:admin'], ['user:admin', 'a', 'b']]) {
    const wrong = await cli(args);
    t.is(wrong.code, 2, args.join(' '));
    t.regex(wrong.stderr, /user:admin needs one username/);
  }
  const admins = await app.db
    .knex('users')
    .where('is_admin', true)
    .count<{ n: string }[]>('* as n');
  t.is(Number(admins[0]!.n), 0);
  const help = await cli(['help']);
  t.regex(help.stdout, /user:admin <username> \[--revoke\]/);
});
