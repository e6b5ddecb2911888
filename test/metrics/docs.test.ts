/**
 * docs/metrics.md cannot drift from the code: after a workload that touches
 * every feature, every metric family in a real scrape is documented with its
 * type and labels, and every documented metric shows up.
 */
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { followFeedUrl } from '../../src/feeds';
import { projectRoot } from '../../src/paths';
import { parseSamples, parseTypes, type Sample } from '../../src/selftest/prometheus-text';
import { runSelfTest } from '../../src/selftest/run';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken, aUser } from '../helpers/factories';
import { promtoolCheck, scrape } from '../helpers/metrics';

interface DocumentedMetric {
  readonly pattern: RegExp;
  readonly display: string;
  readonly type: string;
  readonly labels: ReadonlySet<string>;
  readonly cardinality: string | undefined;
}

/** `a_{x,y}_b` → a_x_b | a_y_b; `*` → any name characters. */
function namePattern(name: string): RegExp {
  const source = name
    .replace(/[.+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{([^}]+)\}/g, (_m, list: string) => `(?:${list.split(',').join('|')})`)
    .replace(/\*/g, '[a-z0-9_]+');
  return new RegExp(`^${source}$`);
}

function readDocs(): DocumentedMetric[] {
  const text = fs.readFileSync(path.join(projectRoot, 'docs', 'metrics.md'), 'utf8');
  const metrics: DocumentedMetric[] = [];
  let columns: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('|')) {
      columns = [];
      continue;
    }
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    if (cells[0] === 'metric') {
      columns = cells;
      continue;
    }
    if (columns.length === 0 || /^-+$/.test(cells[0] ?? '')) continue;
    const cell = (name: string) => cells[columns.indexOf(name)] ?? '';
    const labels = new Set([...cell('labels').matchAll(/`([a-z0-9_]+)`/g)].map((m) => m[1]!));
    for (const match of cell('metric').matchAll(/`([a-z0-9_{},*]+)`/g)) {
      metrics.push({
        pattern: namePattern(match[1]!),
        display: match[1]!,
        type: cell('type'),
        labels,
        cardinality: columns.includes('cardinality') ? cell('cardinality') : undefined,
      });
    }
  }
  return metrics;
}

/** The family a sample belongs to: histograms' _bucket/_sum/_count fold into it. */
function family(sample: Sample, types: Map<string, string>): string {
  if (types.has(sample.name)) return sample.name;
  return sample.name.replace(/_(bucket|sum|count)$/, '');
}

let app: TestApp;
let text: string;
test.before(async () => {
  app = await startTestApp({ FETCH_ALLOW_PRIVATE_NETWORKS: 'true' });
  const user = await aUser();
  const report = await runSelfTest(
    {
      baseUrl: app.baseUrl,
      metricsUrls: [`${app.baseUrl}/metrics`],
      token: await aToken(user.id),
      userId: user.id,
      timeoutMs: 60_000,
      followFeed: async (url) => {
        const maxFeeds = app.config.quotas.feedsPerUser;
        await followFeedUrl(app.db.knex, { userId: user.id, url, maxFeeds });
      },
    },
    () => {},
  );
  if (!report.ok)
    throw new Error(
      `workload did not complete: ${JSON.stringify(report.results.filter((r) => !r.ok))}`,
    );
  // Visit a page and a missing one so the HTTP metric has a few routes.
  await fetch(`${app.baseUrl}/`);
  text = await scrape(app.baseUrl);
});
test.after.always(async () => {
  await app?.stop();
});

test('every scraped metric is documented with its type and labels', (t) => {
  const docs = readDocs();
  const types = parseTypes(text);
  const seen = new Map<string, Set<string>>();
  for (const sample of parseSamples(text)) {
    const name = family(sample, types);
    const labels = seen.get(name) ?? new Set<string>();
    for (const key of Object.keys(sample.labels)) labels.add(key);
    seen.set(name, labels);
  }
  const problems: string[] = [];
  for (const [name, labels] of seen) {
    const doc = docs.find((d) => d.pattern.test(name));
    if (!doc) {
      problems.push(`${name} is scraped but not documented`);
      continue;
    }
    if (doc.type !== types.get(name)) {
      problems.push(`${name} is a ${types.get(name)}, documented as ${doc.type}`);
    }
    const undocumented = [...labels].filter(
      (l) => l !== 'le' && !l.startsWith('otel_scope_') && !doc.labels.has(l),
    );
    if (undocumented.length > 0)
      problems.push(`${name} has undocumented labels ${undocumented.join(', ')}`);
  }
  t.deepEqual(problems, [], 'docs/metrics.md is out of date');
});

test('every documented metric appears in a scrape after the workload', (t) => {
  const types = parseTypes(text);
  const families = new Set(parseSamples(text).map((s) => family(s, types)));
  const missing = readDocs()
    .filter((doc) => ![...families].some((name) => doc.pattern.test(name)))
    .map((doc) => doc.display);
  t.deepEqual(missing, [], 'documented but never scraped');
});

test('every documented metric states its cardinality', (t) => {
  const without = readDocs()
    .filter((doc) => !doc.cardinality)
    .map((doc) => doc.display);
  t.deepEqual(without, [], 'no cardinality column in docs/metrics.md');
});

test('promtool check metrics passes on the full scrape (every family in use)', (t) => {
  const result = promtoolCheck(text);
  t.true(result.ok, result.output);
  t.is(result.output, '');
});
