/**
 * Issue #15, items 3, 4, 12 and 13: the login throttle counts atomically
 * (parallel guesses do not slip through), by canonical account (every
 * spelling of a login is one account) and address, cannot be used to lock
 * someone out from another address, is not cleared by logging in to one's
 * own account, and says how long the lock really lasts. Registrations are
 * limited per address. Addresses are simulated with X-Forwarded-For, which
 * this app believes (TRUST_PROXY=true).
 */
import test from 'ava';
import { User } from '../../src/users';
import { startTestApp, type TestApp } from '../helpers/app';
import { TestClient, type TestResponse } from '../helpers/client';
import { aUser } from '../helpers/factories';

let app: TestApp;
test.before(async () => {
  app = await startTestApp(
    {
      TRUST_PROXY: 'true',
      LOGIN_MAX_FAILURES: '5',
      LOGIN_LOCK_MINUTES: '15',
      LOGIN_MAX_FAILURES_PER_ADDRESS: '8',
      REGISTRATIONS_PER_ADDRESS: '3',
    },
    'web',
  );
});
test.after.always(async () => {
  await app?.stop();
});

const PASSWORD = 'correct horse battery';

function loginFrom(
  address: string,
  login: string,
  password: string,
  client = new TestClient(app.baseUrl),
): Promise<TestResponse> {
  return client.post(
    '/auth/login',
    { username: login, password },
    {
      headers: { 'x-forwarded-for': address },
    },
  );
}

test('forty parallel wrong passwords: five are checked, thirty-five get 429', async (t) => {
  await aUser({ username: 'parallel' });
  const client = new TestClient(app.baseUrl);
  await client.csrf();
  const replies = await Promise.all(
    Array.from({ length: 40 }, (_, i) => loginFrom('10.0.0.1', 'parallel', `wrong ${i}`, client)),
  );
  const statuses = replies.map((r) => r.status);
  t.is(statuses.filter((s) => s === 401).length, 5, statuses.join(' '));
  t.is(statuses.filter((s) => s === 429).length, 35, statuses.join(' '));
  // And the right password is refused too, from that address, until the lock ends.
  t.is((await loginFrom('10.0.0.1', 'parallel', PASSWORD)).status, 429);
});

test('every spelling of a login counts against one account (U+0130 "İ" too)', async (t) => {
  await aUser({ username: 'alice' });
  const { rows } = await app.db.knex.raw<{ rows: Array<{ same: boolean }> }>(
    "select lower('alİce') = lower('alice') as same",
  );
  const spellings = ['ALICE', 'alice@example.test', 'Alice@Example.Test', 'alİce', 'alİce'];
  for (const login of spellings) {
    t.is((await loginFrom('10.0.1.1', login, 'wrong password')).status, 401, login);
  }
  t.true(rows[0]!.same, 'this database folds İ to i, as the issue saw');
  const locked = await loginFrom('10.0.1.1', 'alice', PASSWORD);
  t.is(locked.status, 429, 'the sixth attempt, under the canonical name, is refused');
});

test('someone guessing from another address cannot lock the owner out', async (t) => {
  await aUser({ username: 'bob' });
  for (let i = 0; i < 5; i++) {
    t.is((await loginFrom('10.0.2.1', 'bob', `guess ${i}`)).status, 401);
  }
  t.is((await loginFrom('10.0.2.1', 'bob', PASSWORD)).status, 429, 'locked at the attacker');
  const owner = await loginFrom('10.0.3.1', 'bob', PASSWORD);
  t.is(owner.status, 302, 'the owner, from their address, gets in');
  t.is(owner.location, '/u/bob');
});

test("logging in to one's own account does not clear the address's failures", async (t) => {
  await aUser({ username: 'sprayer' });
  for (const victim of ['victim1', 'victim2']) await aUser({ username: victim });
  const address = '10.0.4.1';
  for (let i = 0; i < 4; i++) await loginFrom(address, 'victim1', `guess ${i}`);
  for (let i = 0; i < 3; i++) await loginFrom(address, 'victim2', `guess ${i}`);
  t.is((await loginFrom(address, 'sprayer', PASSWORD)).status, 302, 'own account: fine');
  t.is((await loginFrom(address, 'nobody-at-all', 'guess')).status, 401, 'the 8th failure');
  const ceiling = await loginFrom(address, 'sprayer', PASSWORD);
  t.is(ceiling.status, 429, 'the address has spent its 8 failures an hour');
  t.is(Number(ceiling.headers.get('retry-after')), 3600);
});

test('the 429 says how long the lock really lasts, in the header and in words', async (t) => {
  await aUser({ username: 'patient' });
  for (let i = 0; i < 5; i++) await loginFrom('10.0.5.1', 'patient', `guess ${i}`);
  const locked = await loginFrom('10.0.5.1', 'patient', PASSWORD);
  t.is(locked.status, 429);
  const wait = Number(locked.headers.get('retry-after'));
  t.true(wait > 15 * 60 - 30 && wait <= 15 * 60, `Retry-After: ${wait}`);
  t.regex(locked.text, /Too many failed logins\. Try again in 15 minutes\./);
});

test('registrations are limited per address; a taken email is not confirmed and costs more', async (t) => {
  const register = (name: string, address: string, email?: string) =>
    new TestClient(app.baseUrl).post(
      '/auth/register',
      {
        username: name,
        email: email ?? `${name}@example.test`,
        password: PASSWORD,
        password_confirm: PASSWORD,
      },
      { headers: { 'x-forwarded-for': address } },
    );
  for (const name of ['reg1', 'reg2', 'reg3']) t.is((await register(name, '10.0.6.1')).status, 302);
  const fourth = await register('reg4', '10.0.6.1');
  t.is(fourth.status, 429);
  t.regex(fourth.text, /Too many sign-ups or email changes from your address/);
  t.true(Number(fourth.headers.get('retry-after')) > 3000);
  t.is(await User.query().where({ username: 'reg4' }).resultSize(), 0);

  t.is((await register('reg5', '10.0.7.1')).status, 302, 'another address is not affected');
  const taken = await register('reg6', '10.0.7.1', 'reg1@example.test');
  t.is(taken.status, 409);
  t.notRegex(taken.text, /already exists/);
  t.regex(taken.text, /<p id="email-error" class="field-error">That email address cannot be used/);
  t.is((await register('reg7', '10.0.7.1')).status, 429, 'one probe spent the hour');
});

test("changing one's email to a taken address is throttled like signing up with it", async (t) => {
  await aUser({ username: 'holder' });
  await aUser({ username: 'mover' });
  const from = { 'x-forwarded-for': '10.0.9.1' };
  const client = new TestClient(app.baseUrl);
  t.is(
    (await client.post('/auth/login', { username: 'mover', password: PASSWORD }, { headers: from }))
      .status,
    302,
  );
  const change = (email: string) =>
    client.post('/settings/email', { email, current_password: PASSWORD }, { headers: from });
  const taken = await change('HOLDER@example.test');
  t.is(taken.status, 422);
  t.notRegex(taken.text, /already exists/);
  t.regex(taken.text, /<p id="email-error" class="field-error">That email address cannot be used/);
  const next = await change('someone-else@example.test');
  t.is(next.status, 429, 'one probe spent the hour (3 points here, 1 + 4 spent)');
  t.regex(next.text, /Too many sign-ups or email changes from your address/);
  t.is((await User.query().findOne({ username: 'mover' }))!.email, 'mover@example.test');
});

test('behind one trusted proxy only its address is believed: claims before it change nothing', async (t) => {
  await aUser({ username: 'spoofed' });
  for (let i = 0; i < 5; i++) {
    await loginFrom(`203.0.113.${i}, 10.0.8.1`, 'spoofed', `guess ${i}`);
  }
  t.is((await loginFrom('198.51.100.7, 10.0.8.1', 'spoofed', PASSWORD)).status, 429);
});
