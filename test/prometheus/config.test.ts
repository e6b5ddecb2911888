/**
 * docs/prometheus checked with the real promtool (Debian's prometheus
 * package): scrape configs, rule files, rule unit tests; and the Grafana
 * dashboard and the rules checked against docs/metrics.md so that neither can
 * use a metric the docs do not describe.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { projectRoot } from '../../src/paths';
import {
  documentedMetrics,
  headingAnchors,
  metricNames,
  promtool,
  recordedNames,
  ruleExpressions,
} from './promql';

const dir = path.join(projectRoot, 'docs', 'prometheus');
const rulesDir = path.join(dir, 'rules');
const read = (file: string) => fs.readFileSync(path.join(dir, file), 'utf8');
const RULE_FILES = ['rules/recording.yml', 'rules/alerts.yml'];
const ALERTS = [
  'PebblingTargetDown',
  'PebblingHighHttpErrorRate',
  'PebblingSlowRequests',
  'PebblingJobQueueBackingUp',
  'PebblingJobsFailing',
  'PebblingFeedsFailing',
  'PebblingImportsFailing',
  'PebblingDatabaseErrors',
  'PebblingEventLoopLag',
  'PebblingNoWorker',
  'PebblingDatabaseMetricsAbsent',
  'PebblingFeedPollingStopped',
  'PebblingMetricOverflow',
];

/** Metric names a query may use: documented ones, recording rules, and `up`. */
function allowList(): (name: string) => boolean {
  const documented = documentedMetrics(
    fs.readFileSync(path.join(projectRoot, 'docs', 'metrics.md'), 'utf8'),
  );
  const recorded = new Set(recordedNames(read('rules/recording.yml')));
  return (name) => name === 'up' || recorded.has(name) || documented.some((re) => re.test(name));
}

for (const file of ['prometheus.single.yml', 'prometheus.split.yml']) {
  test(`promtool check config ${file} (with the rule files it loads)`, async (t) => {
    const result = await promtool(['check', 'config', file], dir);
    t.true(result.ok, result.output);
    t.regex(result.output, /SUCCESS: 2 rule files found/);
    t.regex(result.output, /recording\.yml\s+SUCCESS: \d+ rules found/);
    t.regex(result.output, /alerts\.yml\s+SUCCESS: \d+ rules found/);
  });
}

test('scrape jobs are the ones PebblingTargetDown watches, on the documented ports', (t) => {
  const jobsOf = (file: string) =>
    [...read(file).matchAll(/^\s*- job_name:\s*(\S+)/gm)].map((m) => m[1]!);
  t.deepEqual(jobsOf('prometheus.single.yml'), ['pebbling-club']);
  t.deepEqual(jobsOf('prometheus.split.yml'), ['pebbling-club-web', 'pebbling-club-worker']);
  const watched = /up\{job=~"([^"]+)"\}/.exec(read('rules/alerts.yml'));
  t.truthy(watched, 'PebblingTargetDown selects up by job');
  const re = new RegExp(`^(?:${watched![1]})$`);
  for (const job of [...jobsOf('prometheus.single.yml'), ...jobsOf('prometheus.split.yml')]) {
    t.regex(job, re);
  }
  t.regex(read('prometheus.single.yml'), /targets: \["127\.0\.0\.1:3000"\]/);
  const split = read('prometheus.split.yml');
  const worker = split.slice(split.indexOf('job_name: pebbling-club-worker'));
  t.regex(split.slice(0, split.indexOf('job_name: pebbling-club-worker')), /"[\d.]+:3000"/);
  t.regex(worker, /"[\d.]+:9464"/);
  t.notRegex(worker, /:3000"/);
});

test('promtool check rules accepts the recording and alerting rules', async (t) => {
  const result = await promtool(['check', 'rules', ...RULE_FILES], dir);
  t.true(result.ok, result.output);
  t.notRegex(result.output, /FAILED/);
});

test('promtool test rules: every rule unit test passes', async (t) => {
  const tests = fs.readdirSync(rulesDir).filter((f) => f.endsWith('.test.yml'));
  t.deepEqual(tests.sort(), ['alerts.test.yml', 'recording.test.yml']);
  const result = await promtool(['test', 'rules', ...tests], rulesDir);
  t.true(result.ok, result.output);
  t.is((result.output.match(/SUCCESS/g) ?? []).length, tests.length, result.output);
});

test('every alert has a severity, summary, description and a runbook section, and tests that fire and that do not', (t) => {
  const alerts = read('rules/alerts.yml');
  const tests = read('rules/alerts.test.yml');
  const anchors = headingAnchors(
    fs.readFileSync(path.join(projectRoot, 'docs', 'operations.md'), 'utf8'),
  );
  const blocks = alerts.split(/^\s*- alert:\s*/m).slice(1);
  const names = blocks.map((block) => block.split('\n')[0]!.trim());
  for (const required of ALERTS) t.true(names.includes(required), `${required} is defined`);
  for (const [i, block] of blocks.entries()) {
    const name = names[i]!;
    t.regex(block, /^\s+severity: (critical|warning)$/m, `${name} has a severity`);
    t.regex(block, /^\s+summary: \S/m, `${name} has a summary`);
    t.regex(block, /^\s+description: \S/m, `${name} has a description`);
    const anchor = `docs/operations.md#${name.toLowerCase()}`;
    t.true(block.includes(`runbook_url: "${anchor}"`), `${name} links ${anchor}`);
    t.true(block.includes(`Runbook: ${anchor}`), `${name}'s description names its runbook`);
    t.true(anchors.has(name.toLowerCase()), `docs/operations.md has a "${name}" heading`);
    const cases = [...tests.matchAll(/alertname: (\w+)\n\s*exp_alerts:( \[\])?/g)].filter(
      (m) => m[1] === name,
    );
    t.true(
      cases.some((m) => m[2] === undefined),
      `${name} has a test where it fires`,
    );
    t.true(
      cases.some((m) => m[2] !== undefined),
      `${name} has a test where it does not fire`,
    );
  }
});

test('the rules use only metrics documented in docs/metrics.md', (t) => {
  const allowed = allowList();
  const used = RULE_FILES.flatMap((file) => ruleExpressions(read(file)).flatMap(metricNames));
  t.true(used.includes('http_server_request_duration_seconds_count'), 'expressions were read');
  t.true(used.includes('worker_jobs_waiting'), 'expressions were read');
  t.deepEqual([...new Set(used.filter((name) => !allowed(name)))], []);
});

interface Panel {
  readonly id: number;
  readonly type: string;
  readonly title: string;
  readonly datasource?: { readonly type: string; readonly uid: string };
  readonly gridPos: {
    readonly h: number;
    readonly w: number;
    readonly x: number;
    readonly y: number;
  };
  readonly targets?: ReadonlyArray<{ readonly expr: string; readonly datasource?: unknown }>;
  readonly panels?: readonly Panel[];
}
interface Variable {
  readonly name: string;
  readonly type: string;
  readonly query: string | { readonly query: string };
  readonly datasource?: unknown;
}
interface Dashboard {
  readonly schemaVersion: number;
  readonly title: string;
  readonly uid: string;
  readonly panels: readonly Panel[];
  readonly templating: { readonly list: readonly Variable[] };
}

function loadDashboard(): { dashboard: Dashboard; panels: Panel[]; exprs: string[] } {
  const dashboard = JSON.parse(read('grafana-dashboard.json')) as Dashboard;
  const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
  const exprs = [
    ...panels.flatMap((p) => (p.targets ?? []).map((target) => target.expr)),
    ...dashboard.templating.list
      .filter((v) => v.type === 'query')
      .map((v) => (typeof v.query === 'string' ? v.query : v.query.query)),
  ];
  return { dashboard, panels, exprs };
}

// biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's variable syntax, not a JS template.
const PROMETHEUS_DS = { type: 'prometheus', uid: '${datasource}' };

test('the Grafana dashboard is valid JSON with a data source variable, job and instance filters and a row per area', (t) => {
  const { dashboard, panels } = loadDashboard();
  t.true(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41);
  t.is(dashboard.uid, 'pebbling-club');
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  t.like(variables.get('datasource'), { type: 'datasource', query: 'prometheus' });
  for (const name of ['job', 'instance']) {
    t.like(variables.get(name), { type: 'query', datasource: PROMETHEUS_DS });
  }
  const rows = panels.filter((p) => p.type === 'row').map((p) => p.title);
  for (const area of ['HTTP', 'Database', 'Jobs', 'Feeds', 'Bookmarks', 'Imports', 'Runtime']) {
    t.true(
      rows.some((title) => title.includes(area)),
      `a row for ${area}`,
    );
  }
  const ids = panels.map((p) => p.id);
  t.is(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const panel of panels.filter((p) => p.type !== 'row')) {
    t.deepEqual(panel.datasource, PROMETHEUS_DS, `${panel.title} uses the data source variable`);
    t.true((panel.targets ?? []).length > 0, `${panel.title} has a query`);
    for (const target of panel.targets ?? []) t.deepEqual(target.datasource, PROMETHEUS_DS);
    t.true(panel.gridPos.x + panel.gridPos.w <= 24, `${panel.title} fits the grid`);
  }
});

test('every dashboard query uses only metrics documented in docs/metrics.md (or recorded, or up)', (t) => {
  const { exprs } = loadDashboard();
  const used = new Set(exprs.flatMap(metricNames));
  // The dashboard covers each area; this also proves the names were read.
  for (const name of [
    'http_server_request_duration_seconds_bucket',
    'db_client_operation_duration_seconds_count',
    'worker_jobs_total',
    'worker_jobs_waiting',
    'worker_processes',
    'db_client_connections_usage',
    // Counters kept by the database: through the rules that sum them first.
    'status:feed_polls_total:sum',
    'active_feeds',
    'feeds_overdue',
    'cluster:feed_items_discovered_total:sum',
    'source:bookmarks_created_total:sum',
    'operation:bookmarks_updated_total:sum',
    'cluster:bookmarks_deleted_total:sum',
    'status:bookmark_imports_total:sum',
    'result:bookmark_import_items_total:sum',
    'bookmark_import_duration_seconds_bucket',
    'nodejs_eventloop_delay_p99_seconds',
    'v8js_memory_heap_used_bytes',
    'process_cpu_time_seconds_total',
    'process_memory_usage_bytes',
  ]) {
    t.true(used.has(name), `the dashboard shows ${name}`);
  }
  const allowed = allowList();
  t.deepEqual(
    [...used].filter((name) => !allowed(name)),
    [],
    'metrics used by the dashboard but not documented in docs/metrics.md',
  );
});

test('every dashboard query is valid PromQL for promtool', async (t) => {
  const { exprs } = loadDashboard();
  const rules = exprs.map((expr, i) => ({
    record: `dashboard:query_${i}`,
    expr: expr
      .replace(/^\s*label_values\(([\s\S]*),\s*\w+\s*\)\s*$/, '$1')
      .replace(/\$__rate_interval|\$__interval/g, '5m')
      .replace(/\$__range/g, '1h')
      .replace(/\$\{?\w+\}?/g, '.*'),
  }));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-dashboard-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  // JSON is YAML: promtool reads the file as a rule group.
  fs.writeFileSync(
    path.join(tmp, 'dashboard.rules.yml'),
    JSON.stringify({ groups: [{ name: 'dashboard', rules }] }),
  );
  const result = await promtool(['check', 'rules', 'dashboard.rules.yml'], tmp);
  t.true(result.ok, result.output);
  t.regex(result.output, new RegExp(`SUCCESS: ${rules.length} rules found`));
});

test('metric name extraction reads selectors, not functions, labels, strings or durations', (t) => {
  t.deepEqual(
    metricNames(
      'sum by (job, le) (rate(a_total{status!~"success|x"}[5m] offset 1h)) / ignoring (status) group_left sum(b:rec:ratio) > bool 0.5e3 and on (job) c unless nan',
    ).sort(),
    ['a_total', 'b:rec:ratio', 'c'],
  );
  t.deepEqual(metricNames('label_values(v8js_x{job=~"$job"}, instance)'), ['v8js_x']);
  t.deepEqual(
    metricNames('histogram_quantile(0.95, sum by (le) (rate(h_bucket[$__rate_interval])))'),
    ['h_bucket'],
  );
  const allowed = documentedMetrics(
    '| `h_seconds` | histogram | s |\n| `g_{a,b}_bytes`, `s_*_x` | gauge | x |\n| label | x | y |',
  );
  const ok = (name: string) => allowed.some((re) => re.test(name));
  t.true(ok('h_seconds_bucket') && ok('g_a_bytes') && ok('g_b_bytes') && ok('s_old_space_x'));
  t.false(ok('g_c_bytes') || ok('h_seconds_total') || ok('label'));
});
