/**
 * GET /status: charts, failing feeds and numbers of now (admins see
 * everyone, others their own). POST /status/feeds/:id/retry: poll a failing
 * feed now (a plain form with its CSRF token; no script needed).
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { isRefusal, notFound } from '../errors';
import { createPollQuota } from '../feeds';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf } from '../web/validate';
import { presentChart, presentFailingFeed } from './presenters';
import { feedIdParam, retryForm, statusQuery } from './schemas';
import { loadStatusPage, loadViewer, retryFeed } from './service';

const utcMinute = (date: Date) => date.toISOString().slice(0, 16).replace('T', ' ');

export function statusRoutes({ config, render, db }: WebDeps): Router {
  const router = new Router();
  const deps = { knex: db.knex, config };
  const pollQuota = createPollQuota(db.knex, config.quotas.feedFetchesPerHour);
  const viewer = (ctx: ParameterizedContext) => loadViewer(db.knex, ctx.state.user!);

  router.get('/status', requireUser(), async (ctx) => {
    const { range } = statusQuery.parse(ctx.query);
    const now = new Date();
    const page = await loadStatusPage(deps, { viewer: await viewer(ctx), range, now });
    ctx.body = render(ctx, 'status/index.njk', {
      scope: page.scope,
      range: page.range,
      charts: page.charts.map(presentChart),
      failingFeeds: page.failingFeeds.map((row) => presentFailingFeed(row, now)),
      now: page.now,
      from: utcMinute(page.window.starts[0]!),
      to: utcMinute(page.window.end),
    });
  });

  router.post('/status/feeds/:id/retry', requireUser(), async (ctx) => {
    const id = feedIdParam.safeParse(ctx.params.id);
    if (!id.success) throw notFound('There is no such feed among yours.');
    const { range } = retryForm.parse(bodyOf(ctx));
    const asker = await viewer(ctx);
    try {
      const reservePoll = () => pollQuota.reserve(asker.id, 1);
      const feed = await retryFeed({ ...deps, reservePoll }, { viewer: asker, feedId: id.data });
      setFlash(ctx, 'info', `${feed.title || feed.url} will be polled again now.`);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      setFlash(ctx, 'error', error.message);
    }
    ctx.redirect(`/status?range=${range}#failing-feeds`);
  });

  return router;
}
