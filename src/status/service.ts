/**
 * The status page's data: charts of the last 24 hours or 30 days drawn from
 * the rollups in PostgreSQL (so they survive restarts and add up over every
 * process, with or without Prometheus), the feeds that fail, and a few
 * numbers of right now. An admin sees everyone; a user sees their own.
 */
import type { Knex } from 'knex';
import type { Config } from '../config';
import { conflict, notFound } from '../errors';
import { FEED_POLL_FAILURES, Feed, queueFeedPolls } from '../feeds';
import { feedOverdueSeconds, workerStaleSeconds } from '../metrics';
import type { ChartSeries, ChartSpec } from './charts';
import { mayRetryFeed, type StatusScope, type StatusViewer, scopeOf } from './policies';
import {
  type EveryoneNow,
  type FailingFeedRow,
  isAdmin,
  listFailingFeeds,
  type OwnNow,
  readEveryoneNow,
  readOwnNow,
  readRollups,
} from './queries';
import {
  binned,
  quantiles,
  RANGES,
  type RangeName,
  type RollupPoint,
  total,
  type Window,
  windowOf,
} from './series';

export interface StatusDeps {
  readonly knex: Knex;
  readonly config: Config;
}

export interface LegendEntry {
  readonly label: string;
  readonly summary: string;
}

export interface StatusChart {
  readonly spec: ChartSpec;
  readonly legend: readonly LegendEntry[];
}

export type StatusPage = {
  readonly range: RangeName;
  readonly window: Window;
  readonly charts: readonly StatusChart[];
  readonly failingFeeds: readonly FailingFeedRow[];
} & (
  | { readonly scope: 'everyone'; readonly now: EveryoneNow }
  | { readonly scope: 'own'; readonly now: OwnNow }
);

interface ChartDef {
  readonly id: string;
  readonly title: (scope: StatusScope) => string;
  readonly kind: 'bars' | 'lines';
  readonly unit: ChartSpec['unit'];
  readonly scopes: readonly StatusScope[];
  readonly names: readonly string[];
  build(
    window: Window,
    points: readonly RollupPoint[],
  ): { series: ChartSeries[]; legend: LegendEntry[] };
}

const FAILURES = new Set<string>(FEED_POLL_FAILURES);
const count = (n: number) => String(Math.round(n));
const plural = (n: string, noun: string) => `${n} ${noun}${n === '1' ? '' : 's'}`;

/** Counts by label value, in a fixed order, each with its total. */
function countsBy(
  window: Window,
  points: readonly RollupPoint[],
  name: string,
  label: string | undefined,
  order: readonly string[],
  group?: (value: string) => string | undefined,
) {
  const series = binned(window, points, { name, label, group });
  const keys = [
    ...order.filter((k) => series.has(k)),
    ...[...series.keys()].filter((k) => !order.includes(k)),
  ];
  return {
    series: keys.map((k) => ({ label: k || 'all', values: series.get(k)! })),
    legend: keys.map((k) => ({ label: k || 'all', summary: count(total(series.get(k)!)) })),
  };
}

function percentiles(window: Window, points: readonly RollupPoint[], name: string) {
  const series = ([0.5, 0.95, 0.99] as const).map((q) => ({
    label: `p${Math.round(q * 100)}`,
    values: quantiles(window, points, name, q),
  }));
  const observations = total(
    [...binned(window, points, { name: `${name}_count` }).values()][0] ?? [],
  );
  return {
    series,
    legend: [
      ...series.map((s) => ({ label: s.label, summary: '' })),
      { label: 'observations', summary: count(observations) },
    ],
  };
}

const CHARTS: readonly ChartDef[] = [
  {
    id: 'feed-polls',
    title: () => 'Feed polls by outcome',
    kind: 'bars',
    unit: 'count',
    scopes: ['everyone'],
    names: ['feed_polls'],
    build: (w, p) =>
      countsBy(w, p, 'feed_polls', 'status', ['success', 'not_modified', 'failed'], (status) =>
        FAILURES.has(status) ? 'failed' : status,
      ),
  },
  {
    id: 'poll-duration',
    title: () => 'Feed poll duration',
    kind: 'lines',
    unit: 'seconds',
    scopes: ['everyone'],
    names: ['feed_poll_duration_bucket', 'feed_poll_duration_count'],
    build: (w, p) => percentiles(w, p, 'feed_poll_duration'),
  },
  {
    id: 'feed-items',
    title: () => 'New feed items',
    kind: 'bars',
    unit: 'count',
    scopes: ['everyone'],
    names: ['feed_items_discovered'],
    build: (w, p) => countsBy(w, p, 'feed_items_discovered', undefined, []),
  },
  {
    id: 'bookmarks-created',
    title: (scope) =>
      scope === 'own' ? 'Your bookmarks created, by source' : 'Bookmarks created, by source',
    kind: 'bars',
    unit: 'count',
    scopes: ['everyone', 'own'],
    names: ['bookmarks_created'],
    build: (w, p) =>
      countsBy(w, p, 'bookmarks_created', 'source', [
        'web',
        'bookmarklet',
        'api',
        'import',
        'cli',
        'other',
      ]),
  },
  {
    id: 'imports',
    title: (scope) =>
      scope === 'own' ? 'Your imports, by how they ended' : 'Imports, by how they ended',
    kind: 'bars',
    unit: 'count',
    scopes: ['everyone', 'own'],
    names: ['bookmark_imports'],
    build: (w, p) =>
      countsBy(w, p, 'bookmark_imports', 'status', ['completed', 'failed', 'cancelled']),
  },
  {
    id: 'import-throughput',
    title: (scope) =>
      scope === 'own' ? 'Your imported records per minute' : 'Imported records per minute',
    kind: 'bars',
    unit: 'per_minute',
    scopes: ['everyone', 'own'],
    names: ['bookmark_import_items'],
    build: (w, p) => {
      const counts = countsBy(w, p, 'bookmark_import_items', 'result', [
        'created',
        'updated',
        'skipped',
        'failed',
      ]);
      const minutes = w.range.binSeconds / 60;
      return {
        series: counts.series.map((s) => ({
          ...s,
          values: s.values.map((v) => (v ?? 0) / minutes),
        })),
        legend: counts.legend.map((l) => ({ ...l, summary: plural(l.summary, 'record') })),
      };
    },
  },
  {
    id: 'jobs-waiting',
    title: () => 'Jobs waiting (the most in each period)',
    kind: 'lines',
    unit: 'count',
    scopes: ['everyone'],
    names: ['worker_jobs_waiting'],
    build: (w, p) => {
      const values = binned(w, p, { name: 'worker_jobs_waiting', combine: 'max' }).get('') ?? [];
      const series = [{ label: 'waiting', values: w.starts.map((_, i) => values[i] ?? null) }];
      return { series, legend: [{ label: 'most', summary: count(Math.max(0, ...values)) }] };
    },
  },
  {
    id: 'job-runs',
    title: () => 'Job runs by outcome',
    kind: 'bars',
    unit: 'count',
    scopes: ['everyone'],
    names: ['worker_jobs'],
    build: (w, p) => countsBy(w, p, 'worker_jobs', 'outcome', ['success', 'retry', 'failed']),
  },
  {
    id: 'http-requests',
    title: () => 'HTTP requests per minute, by status',
    kind: 'bars',
    unit: 'per_minute',
    scopes: ['everyone'],
    names: ['http_requests'],
    build: (w, p) => {
      const counts = countsBy(w, p, 'http_requests', 'class', ['2xx', '3xx', '4xx', '5xx']);
      const minutes = w.range.binSeconds / 60;
      return {
        series: counts.series.map((s) => ({
          ...s,
          values: s.values.map((v) => (v ?? 0) / minutes),
        })),
        legend: counts.legend.map((l) => ({ ...l, summary: plural(l.summary, 'request') })),
      };
    },
  },
  {
    id: 'http-latency',
    title: () => 'HTTP latency',
    kind: 'lines',
    unit: 'seconds',
    scopes: ['everyone'],
    names: ['http_request_duration_bucket', 'http_request_duration_count'],
    build: (w, p) => percentiles(w, p, 'http_request_duration'),
  },
];

export async function loadViewer(
  knex: Knex,
  user: { readonly id: number; readonly username: string },
): Promise<StatusViewer> {
  return { ...user, isAdmin: await isAdmin(knex, user.id) };
}

export async function loadStatusPage(
  deps: StatusDeps,
  input: { readonly viewer: StatusViewer; readonly range: RangeName; readonly now?: Date },
): Promise<StatusPage> {
  const scope = scopeOf(input.viewer);
  const userId = scope === 'own' ? input.viewer.id : undefined;
  const range = RANGES[input.range];
  const window = windowOf(range, input.now ?? new Date());
  const defs = CHARTS.filter((c) => c.scopes.includes(scope));
  const points = await readRollups(deps.knex, {
    names: defs.flatMap((c) => c.names),
    resolution: range.resolution,
    from: window.starts[0]!,
    to: window.end,
    userId,
  });
  const charts = defs.map((def) => {
    const built = def.build(window, points);
    return {
      spec: {
        id: def.id,
        title: def.title(scope),
        kind: def.kind,
        unit: def.unit,
        series: built.series,
        window,
      },
      legend: built.legend,
    };
  });
  const failingFeeds = await listFailingFeeds(deps.knex, { userId, limit: 100 });
  const base = { range: input.range, window, charts, failingFeeds };
  if (scope === 'own') {
    return { ...base, scope, now: await readOwnNow(deps.knex, input.viewer.id) };
  }
  const { config } = deps;
  return {
    ...base,
    scope,
    now: await readEveryoneNow(deps.knex, {
      workerStaleSeconds: workerStaleSeconds(config),
      overdueSeconds: feedOverdueSeconds(config),
      pollIntervalSeconds: config.feeds.pollIntervalMinutes * 60,
    }),
  };
}

/**
 * Tries a failing feed again now: enabled, its errors forgotten, a poll
 * queued on the worker. The feed is shared, so this is for everyone who
 * follows it. A feed the viewer may not retry answers 404.
 */
/**
 * A failing feed is polled again now, its failures forgotten. Only a failing
 * one, and the poll takes one from the asker's FEED_FETCHES_PER_HOUR
 * (`reservePoll`): else the button would fetch someone's server at will, past
 * the backoff its errors (or its Retry-After) earned.
 */
export async function retryFeed(
  deps: Pick<StatusDeps, 'knex'> & { readonly reservePoll: () => Promise<void> },
  input: { readonly viewer: StatusViewer; readonly feedId: number },
): Promise<Feed> {
  const feed = await Feed.query(deps.knex).findById(input.feedId);
  if (!feed || !(await mayRetryFeed(deps.knex, input.viewer, feed))) {
    throw notFound('There is no such feed among yours.');
  }
  if (!feed.disabled && feed.error_count === 0) {
    throw conflict(`${feed.title || feed.url} is not failing: it is polled on its own.`);
  }
  await deps.reservePoll();
  await deps.knex.transaction(async (trx) => {
    await trx('feeds').where('id', feed.id).update({
      disabled: false,
      error_count: 0,
      next_poll_at: trx.fn.now(),
      poll_due_at: trx.fn.now(),
      updated_at: trx.fn.now(),
    });
    await queueFeedPolls(trx, [feed.id]);
  });
  return feed;
}
