/**
 * The metrics self-test (the metrics plan's `test_metrics`): drive a real
 * instance through its public interfaces — create and edit a bookmark, poll a
 * fixture feed, run a small import, delete — then check that each expected
 * metric moved by the expected amount.
 */
import { randomBytes } from 'node:crypto';
import { type CheckResult, type Expectation, evaluate } from './checks';
import { netscapeFixture, startFixtureSite } from './fixtures';
import { parseSamples, type Sample } from './prometheus-text';

export interface SelfTestTarget {
  /** The web app, e.g. http://127.0.0.1:3000 */
  readonly baseUrl: string;
  /** Every /metrics to sum over (the app's, and workers' in a split deployment). */
  readonly metricsUrls: readonly string[];
  readonly metricsHeaders?: Readonly<Record<string, string>>;
  /** API token and id of the user the self-test acts as. */
  readonly token: string;
  readonly userId: number;
  /** Makes the user follow a feed (POST /feeds/fetch polls only the caller's feeds). */
  followFeed(url: string): Promise<void>;
  readonly timeoutMs?: number;
  /** Removes what the run left in the database for the fixture site (its feed). */
  readonly cleanUp?: (fixtureBaseUrl: string) => Promise<void>;
}

export interface SelfTestReport {
  readonly results: CheckResult[];
  readonly notes: string[];
  readonly ok: boolean;
}

type Log = (line: string) => void;

async function scrapeAll(target: SelfTestTarget): Promise<Sample[]> {
  const all: Sample[] = [];
  for (const url of target.metricsUrls) {
    const response = await fetch(url, { headers: { ...target.metricsHeaders } });
    if (response.status !== 200) throw new Error(`scrape of ${url} answered ${response.status}`);
    all.push(...parseSamples(await response.text()));
  }
  return all;
}

async function call(
  target: SelfTestTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${target.token}`,
    accept: 'application/json',
  };
  let payload: string | FormData | undefined;
  if (body instanceof FormData) payload = body;
  else if (body !== undefined) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${target.baseUrl}${path}`, { method, headers, body: payload });
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = { text };
  }
  return { status: response.status, json };
}

function expectStatus(step: string, got: number, wanted: number[]): void {
  if (!wanted.includes(got))
    throw new Error(`${step}: expected HTTP ${wanted.join(' or ')}, got ${got}`);
}

/**
 * With METRICS_ID_LABELS=false no series carries user_id: match without it,
 * and since other users' activity may then move the same series, at least.
 */
function withoutMissingIdLabels(
  expectations: Expectation[],
  samples: readonly Sample[],
): Expectation[] {
  return expectations.map((e) => {
    if (!('user_id' in e.labels)) return e;
    const carries = samples.some((s) => s.name === e.metric && 'user_id' in s.labels);
    if (carries) return e;
    const { user_id: _dropped, ...labels } = e.labels;
    return { ...e, labels, exact: false };
  });
}

export async function runSelfTest(target: SelfTestTarget, log: Log): Promise<SelfTestReport> {
  const site = await startFixtureSite();
  const runId = randomBytes(4).toString('hex');
  const notes: string[] = [];
  const user = { user_id: target.userId };
  try {
    const before = await scrapeAll(target);

    log('creating a bookmark through the API');
    const created = await call(target, 'POST', '/api/v1/bookmarks', {
      url: `${site.baseUrl}/page/${runId}`,
      tags: ['selftest'],
      description: 'metrics self-test',
    });
    expectStatus('create bookmark', created.status, [201]);
    const id = created.json.id as number;

    log('editing it');
    expectStatus(
      'edit bookmark',
      (await call(target, 'PATCH', `/api/v1/bookmarks/${id}`, { title: `Self-test ${runId}` }))
        .status,
      [200],
    );

    // /feeds/fetch polls only the caller's own feeds: follow it first.
    await target.followFeed(`${site.baseUrl}/feed.xml`);
    log('polling the fixture feed');
    const fetched = await call(target, 'POST', '/feeds/fetch', {
      urls: [`${site.baseUrl}/feed.xml`],
    });
    expectStatus('poll feed', fetched.status, [200]);
    const outcome = fetched.json[`${site.baseUrl}/feed.xml`] as
      | { success?: boolean; error?: string }
      | undefined;
    notes.push(
      `feed poll: ${outcome?.success ? 'success' : `not successful (${outcome?.error ?? 'no detail'}) — still counted`}`,
    );

    log('importing three bookmarks');
    const form = new FormData();
    form.set(
      'file',
      new Blob([netscapeFixture(site.baseUrl, runId)], { type: 'text/html' }),
      'selftest.html',
    );
    const queued = await call(target, 'POST', '/api/v1/imports', form);
    expectStatus('import', queued.status, [202]);
    const importUrl = queued.json.url as string;
    const deadline = Date.now() + (target.timeoutMs ?? 60_000);
    let job = queued.json;
    while (!['completed', 'failed', 'cancelled'].includes(job.status as string)) {
      if (Date.now() > deadline)
        throw new Error('the import did not finish in time: is a worker running?');
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = (await call(target, 'GET', importUrl)).json;
    }
    notes.push(`import: ${job.status}, ${job.created} created`);

    log('exporting');
    const exported = await fetch(`${target.baseUrl}/bookmarks/export/netscape.html`, {
      headers: { authorization: `Bearer ${target.token}` },
    });
    expectStatus('export', exported.status, [200]);
    if (!(await exported.text()).includes(`/import/${runId}/1`)) {
      throw new Error('export: the imported bookmarks are missing from the export');
    }

    log('deleting the bookmark');
    expectStatus(
      'delete bookmark',
      (await call(target, 'DELETE', `/api/v1/bookmarks/${id}`)).status,
      [204],
    );

    const expectations: Expectation[] = [
      {
        metric: 'bookmarks_created_total',
        labels: { ...user, source: 'api' },
        delta: 1,
        exact: true,
      },
      {
        metric: 'bookmarks_updated_total',
        labels: { ...user, operation: 'edit' },
        delta: 1,
        exact: true,
      },
      { metric: 'bookmarks_deleted_total', labels: user, delta: 1, exact: true },
      {
        metric: 'bookmarks_created_total',
        labels: { ...user, source: 'import' },
        delta: 3,
        exact: true,
      },
      {
        metric: 'bookmark_imports_total',
        labels: { ...user, format: 'netscape', status: 'completed' },
        delta: 1,
        exact: true,
      },
      {
        metric: 'bookmark_import_items_total',
        labels: { format: 'netscape', result: 'created' },
        delta: 3,
        exact: false,
      },
      {
        metric: 'bookmark_import_duration_seconds_count',
        labels: { format: 'netscape' },
        delta: 1,
        exact: false,
      },
      { metric: 'bookmark_exports_total', labels: { format: 'netscape' }, delta: 1, exact: false },
      {
        metric: 'bookmark_export_duration_seconds_count',
        labels: { format: 'netscape' },
        delta: 1,
        exact: false,
      },
      { metric: 'model_inserts_total', labels: { model: 'bookmark' }, delta: 4, exact: false },
      { metric: 'model_deletes_total', labels: { model: 'bookmark' }, delta: 1, exact: false },
      { metric: 'unfurl_operations_total', labels: {}, delta: 1, exact: false },
      { metric: 'feed_polls_total', labels: {}, delta: 1, exact: false },
      { metric: 'feed_poll_duration_seconds_count', labels: {}, delta: 1, exact: false },
      { metric: 'worker_jobs_total', labels: { task: 'poll_feed' }, delta: 1, exact: false },
      {
        metric: 'worker_jobs_total',
        labels: { task: 'import_bookmarks', outcome: 'success' },
        delta: 1,
        exact: false,
      },
      { metric: 'worker_jobs_total', labels: { task: 'unfurl_bookmark' }, delta: 1, exact: false },
      {
        metric: 'http_server_request_duration_seconds_count',
        labels: { http_route: '/api/v1/bookmarks', http_request_method: 'POST' },
        delta: 1,
        exact: false,
      },
      { metric: 'db_client_operation_duration_seconds_count', labels: {}, delta: 1, exact: false },
    ];
    // Jobs finish and workers record them a moment after the API answers: re-scrape until settled.
    let after = await scrapeAll(target);
    const adapted = withoutMissingIdLabels(expectations, [...before, ...after]);
    let results = evaluate(adapted, before, after);
    while (results.some((r) => !r.ok) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      after = await scrapeAll(target);
      results = evaluate(adapted, before, after);
    }
    return { results, notes, ok: results.every((r) => r.ok) };
  } finally {
    await target.cleanUp?.(site.baseUrl).catch((error: unknown) => {
      notes.push(`clean-up failed: ${(error as Error).message}`);
    });
    await site.close();
  }
}
