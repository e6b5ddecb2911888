import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config';
import { followFeedUrl, pollJobKey } from '../../feeds';
import { startProcess } from '../../runtime/start';
import { formatTable } from '../../selftest/checks';
import { runSelfTest, type SelfTestTarget } from '../../selftest/run';
import { createApiToken, createUser, User } from '../../users';
import type { CliContext } from '../context';
import { CommandFailed, UsageError } from '../errors';

export const testMetricsHelp =
  'test-metrics [--url URL] [--metrics-url URL]… [--metrics-token T]   check that the metrics move (in-process without --url)';

/**
 * Against a running instance (--url) or an app started in this process. Acts
 * as a throwaway user created for the run and deleted afterwards, with what
 * it made: its bookmarks and tokens (by cascade), their queued jobs, and the
 * fixture feed. The counters of those writes stay (they happened), and with
 * METRICS_ID_LABELS=true the user's own series leave the scrape with the user.
 */
export async function testMetrics(args: string[], ctx: CliContext): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      url: { type: 'string' },
      'metrics-url': { type: 'string', multiple: true },
      'metrics-token': { type: 'string' },
      timeout: { type: 'string', default: '60' },
    },
  });
  const timeoutMs = Number(values.timeout) * 1000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0)
    throw new UsageError('--timeout takes seconds.');

  const username = `selftest_${randomBytes(4).toString('hex')}`;
  const user = await createUser({
    username,
    email: `${username}@selftest.invalid`,
    password: randomBytes(24).toString('base64url'),
  });
  const { token } = await createApiToken({ userId: user.id, name: 'metrics self-test' });
  const started = values.url
    ? undefined
    : await startProcess(
        'all',
        // Port 0: any free port. The fixture site is on 127.0.0.1, so this
        // in-process app may fetch private addresses; nothing else is fetched.
        loadConfig({
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          FETCH_ALLOW_PRIVATE_NETWORKS: 'true',
          METRICS_PORT: '',
          // Nobody scrapes this process: no reporter's series to wait out.
          METRICS_REPORTER_HANDOVER: '0',
        }),
        ctx.logger,
      );
  try {
    const baseUrl = (values.url ?? `http://127.0.0.1:${started!.web!.port}`).replace(/\/$/, '');
    const target: SelfTestTarget = {
      baseUrl,
      metricsUrls: values['metrics-url'] ?? [`${baseUrl}${ctx.config.metrics.path}`],
      metricsHeaders: values['metrics-token']
        ? { authorization: `Bearer ${values['metrics-token']}` }
        : {},
      token,
      userId: user.id,
      timeoutMs,
      cleanUp: (fixtureBaseUrl) => removeFixtureFeeds(ctx, fixtureBaseUrl),
      followFeed: async (url) => {
        const maxFeeds = ctx.config.quotas.feedsPerUser;
        await followFeedUrl(ctx.db.knex, { userId: user.id, url, maxFeeds });
      },
    };
    ctx.print(`Self-test against ${baseUrl} as ${username}`);
    const report = await runSelfTest(target, (line) => ctx.print(`  … ${line}`)).catch(
      (error: unknown) => {
        throw new CommandFailed(`Self-test stopped: ${(error as Error).message ?? String(error)}`);
      },
    );
    ctx.print('');
    ctx.print(formatTable(report.results));
    for (const note of report.notes) ctx.print(`note: ${note}`);
    const misses = report.results.filter((r) => !r.ok).length;
    if (misses > 0) throw new CommandFailed(`${misses} metric(s) did not move as expected.`);
    ctx.print(`\nAll ${report.results.length} checks passed.`);
  } finally {
    await started?.stop();
    await removeUser(ctx, user.id);
  }
}

/** Queued jobs go by their key (graphile-worker's remove_job); a running one finishes. */
async function removeJobs(ctx: CliContext, keys: readonly string[]): Promise<void> {
  for (const key of keys) await ctx.db.knex.raw('SELECT graphile_worker.remove_job(?)', [key]);
}

async function removeFixtureFeeds(ctx: CliContext, baseUrl: string): Promise<void> {
  const feeds = await ctx.db.knex('feeds').where('url', 'like', `${baseUrl}/%`).pluck('id');
  await removeJobs(
    ctx,
    feeds.map((id) => pollJobKey(id)),
  );
  await ctx.db.knex('feeds').whereIn('id', feeds).delete();
}

async function removeUser(ctx: CliContext, userId: number): Promise<void> {
  const bookmarks = await ctx.db.knex('bookmarks').where('owner_id', userId).pluck('id');
  await removeJobs(
    ctx,
    bookmarks.map((id) => `unfurl:${id}`),
  );
  await User.query(ctx.db.knex).delete().where({ id: userId });
}
