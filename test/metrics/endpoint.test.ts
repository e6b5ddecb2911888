import test from 'ava';
import { createNetworkMatcher } from '../../src/web/routes/metrics';
import { createTestDatabase } from '../helpers/database';
import { freePort } from '../helpers/ports';
import { spawnApp, waitForListening } from '../helpers/process';

async function spawnWeb(t: import('ava').ExecutionContext, env: Record<string, string>) {
  const db = await createTestDatabase({ bindModels: false });
  t.teardown(() => db.close());
  const app = spawnApp(['web'], { DATABASE_URL: db.url, ...env });
  t.teardown(() => app.child.kill('SIGKILL'));
  return { app, baseUrl: await waitForListening(app) };
}

test('METRICS_AUTH_TOKEN protects /metrics with a bearer token', async (t) => {
  const token = 'scrape-token-0123456789';
  const { baseUrl } = await spawnWeb(t, { METRICS_AUTH_TOKEN: token });
  const none = await fetch(`${baseUrl}/metrics`);
  t.is(none.status, 401);
  t.is(none.headers.get('www-authenticate'), 'Bearer realm="metrics"');
  t.is(
    (
      await fetch(`${baseUrl}/metrics`, {
        headers: { authorization: 'Bearer wrong-token-0123456789' },
      })
    ).status,
    401,
  );
  t.is(
    (await fetch(`${baseUrl}/metrics`, { headers: { authorization: 'Bearer short' } })).status,
    401,
  );
  const ok = await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } });
  t.is(ok.status, 200);
  t.regex(await ok.text(), /^# HELP/m);
  // The rest of the app is not affected.
  t.is((await fetch(`${baseUrl}/healthz`)).status, 200);
});

test('METRICS_ALLOWED_NETWORKS refuses other clients with 403', async (t) => {
  const { baseUrl } = await spawnWeb(t, { METRICS_ALLOWED_NETWORKS: '10.0.0.0/8' });
  t.is((await fetch(`${baseUrl}/metrics`)).status, 403);
  const allowed = await spawnWeb(t, { METRICS_ALLOWED_NETWORKS: '10.0.0.0/8,127.0.0.0/8' });
  t.is((await fetch(`${allowed.baseUrl}/metrics`)).status, 200);
});

test('the network matcher handles IPv4, IPv6 and IPv4-mapped addresses', (t) => {
  const match = createNetworkMatcher(['127.0.0.1', '10.0.0.0/8', 'fd00::/8']);
  t.true(match('127.0.0.1'));
  t.true(match('::ffff:127.0.0.1'));
  t.true(match('10.200.1.1'));
  t.true(match('fd12::1'));
  t.false(match('11.0.0.1'));
  t.false(match('::1'));
  t.false(match('garbage'));
  t.true(createNetworkMatcher([])('203.0.113.9'), 'open by default');
});

test('METRICS_PORT serves /metrics on its own listener and not on the app port', async (t) => {
  const metricsPort = await freePort();
  const { baseUrl } = await spawnWeb(t, { METRICS_PORT: String(metricsPort) });
  t.is((await fetch(`${baseUrl}/metrics`)).status, 404);
  const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  t.is(response.status, 200);
  t.is(response.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  await fetch(`${baseUrl}/bookmarks`);
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  t.regex(text, /http_server_request_duration_seconds_count\{[^}]*http_route="\/bookmarks"/);
  // The metrics listener's own requests are not app traffic either.
  t.notRegex(text, /http_route="\/metrics"/);
});
