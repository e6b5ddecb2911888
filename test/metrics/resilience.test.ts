import http from 'node:http';
import { metrics } from '@opentelemetry/api';
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { createTestDatabase } from '../helpers/database';
import { freePort } from '../helpers/ports';
import { spawnApp, waitForListening } from '../helpers/process';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

test.serial(
  'a throwing observable callback fails the scrape with 503, and the app keeps answering',
  async (t) => {
    const gauge = metrics.getMeter('fault-injection').createObservableGauge('fault_gauge');
    const broken = () => {
      throw new Error('injected callback failure');
    };
    gauge.addCallback(broken);
    try {
      const scrape = await fetch(`${app.baseUrl}/metrics`);
      t.is(scrape.status, 503);
      t.regex(await scrape.text(), /collection failed/);
      t.is((await fetch(`${app.baseUrl}/`)).status, 200);
      t.is((await fetch(`${app.baseUrl}/healthz`)).status, 200);
    } finally {
      gauge.removeCallback(broken);
    }
    t.is(
      (await fetch(`${app.baseUrl}/metrics`)).status,
      200,
      'the scrape recovers once the fault is gone',
    );
  },
);

/** Counts log lines matching a pattern in a spawned app's output. */
function count(text: string, pattern: RegExp): number {
  return text.split('\n').filter((line) => pattern.test(line)).length;
}

test('an unreachable OTLP collector is logged (rate-limited) and never reaches users', async (t) => {
  const db = await createTestDatabase({ bindModels: false });
  t.teardown(() => db.close());
  const closedPort = await freePort(); // nothing listens there
  const spawned = spawnApp(['web'], {
    DATABASE_URL: db.url,
    OTEL_METRICS_EXPORTER: 'prometheus,otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${closedPort}`,
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
  t.teardown(() => spawned.child.kill('SIGKILL'));
  const baseUrl = await waitForListening(spawned);
  for (let i = 0; i < 10; i++) {
    t.is((await fetch(`${baseUrl}/`)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.is((await fetch(`${baseUrl}/metrics`)).status, 200);
  const failures = count(
    spawned.output(),
    /"component":"otel".*"level":5|"level":5.*"component":"otel"/,
  );
  const anyOtelError = count(spawned.output(), /"component":"otel"/);
  t.true(anyOtelError >= 1, `the export failure is logged:\n${spawned.output().slice(-2000)}`);
  // ~10 failed exports happened; the log carries one line per message per minute.
  t.true(
    anyOtelError <= 3,
    `logged ${anyOtelError} times (${failures} errors):\n${spawned.output().slice(-2000)}`,
  );
  spawned.child.kill('SIGTERM');
  t.is(await spawned.exited, 0);
});

test('a collector that answers 500 is logged and survived', async (t) => {
  let posts = 0;
  const collector = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      posts += 1;
      res.writeHead(500).end('collector is broken');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  t.teardown(() => collector.close());
  const address = collector.address() as { port: number };
  const db = await createTestDatabase({ bindModels: false });
  t.teardown(() => db.close());
  const spawned = spawnApp(['web'], {
    DATABASE_URL: db.url,
    OTEL_METRICS_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${address.port}`,
    OTEL_METRIC_EXPORT_INTERVAL: '200',
  });
  t.teardown(() => spawned.child.kill('SIGKILL'));
  const baseUrl = await waitForListening(spawned);
  await spawned.waitFor(/"component":"otel"/, 15_000);
  t.true(posts >= 1, 'the push reached the collector');
  t.is((await fetch(`${baseUrl}/`)).status, 200);
  // Only the push is configured: no Prometheus endpoint.
  t.is((await fetch(`${baseUrl}/metrics`)).status, 404);
});
