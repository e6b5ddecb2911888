/**
 * /feeds pages (a user's subscriptions and their items), OPML in and out,
 * and the original app's JSON endpoints /feeds/get and /feeds/fetch.
 * Thin: auth → validate → one service call → template or JSON.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, isRefusal, notFound } from '../errors';
import { createFetcher } from '../fetcher';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, type FieldErrors, parseForm, parseOrThrow } from '../web/validate';
import { fetchFeedsJson, getFeedsJson } from './feeds-json';
import { listFeedItems } from './items';
import { exportOpml, importOpml } from './opml';
import { createPollQuota } from './poll-quota';
import { presentFeedRow, presentItemRow } from './presenters';
import { feedIdParam, feedsFetchBody, feedsGetQuery, pageQuery, subscribeForm } from './schemas';
import {
  listBookmarkFeeds,
  listUserFeeds,
  reenableFeed,
  subscribeToFeed,
  unsubscribeFromFeed,
} from './service';
import { readOpmlUpload } from './upload';

function feedId(ctx: ParameterizedContext): number {
  const parsed = feedIdParam.safeParse(ctx.params.id);
  if (!parsed.success) throw notFound('There is no such feed among yours.');
  return parsed.data;
}

export function feedRoutes({ config, render, db }: WebDeps): Router {
  const router = new Router();
  // Subscribing fetches the address to find its feed: through the guarded fetcher.
  const fetcher = createFetcher(config.fetch);
  const deps = { knex: db.knex, fetcher, config };
  const pollQuota = createPollQuota(db.knex, config.quotas.feedFetchesPerHour);
  const user = (ctx: ParameterizedContext) => ctx.state.user!;

  const renderIndex = async (
    ctx: ParameterizedContext,
    form: { values?: Record<string, unknown>; errors?: FieldErrors } = {},
  ) => {
    const [feeds, fromBookmarks] = await Promise.all([
      listUserFeeds(deps, { userId: user(ctx).id }),
      listBookmarkFeeds(deps, { userId: user(ctx).id }),
    ]);
    ctx.body = render(ctx, 'feeds/index.njk', {
      feeds: feeds.map(presentFeedRow),
      bookmarkFeeds: fromBookmarks.map(presentFeedRow),
      values: form.values ?? {},
      errors: form.errors ?? {},
    });
  };

  router.get('/feeds/get', async (ctx) => {
    const query = parseOrThrow(feedsGetQuery, ctx.query);
    ctx.body = await getFeedsJson(deps, {
      urls: query.urls,
      since: query.since,
      perFeedLimit: query.per_feed_limit,
      viewerId: ctx.state.user?.id ?? null,
    });
  });

  router.post('/feeds/fetch', requireUser(), async (ctx) => {
    const body = parseOrThrow(feedsFetchBody, ctx.request.body);
    const userId = user(ctx).id;
    ctx.body = await fetchFeedsJson(
      { knex: db.knex, reservePolls: (count) => pollQuota.reserve(userId, count) },
      { urls: body.urls, since: body.since, perFeedLimit: body.per_feed_limit, userId },
    );
  });

  router.get('/feeds', requireUser(), async (ctx) => renderIndex(ctx));

  router.post('/feeds', requireUser(), async (ctx) => {
    const parsed = parseForm(subscribeForm, ctx.request.body);
    if (!parsed.ok) {
      ctx.status = 422;
      return renderIndex(ctx, { values: bodyOf(ctx), errors: parsed.errors });
    }
    try {
      const { feed, subscribed } = await subscribeToFeed(deps, {
        userId: user(ctx).id,
        url: parsed.value.url,
      });
      const name = feed.title || feed.url;
      setFlash(
        ctx,
        'info',
        subscribed
          ? `You now follow ${name}. Its items appear after the first poll.`
          : `You already follow ${name}.`,
      );
      ctx.redirect('/feeds');
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 422) throw error;
      ctx.status = 422;
      // The Follow form has one field: whatever the service refused is about it.
      return renderIndex(ctx, { values: parsed.value, errors: { url: error.message } });
    }
  });

  router.get('/feeds/export.opml', requireUser(), async (ctx) => {
    const { id, username } = user(ctx);
    ctx.type = 'text/x-opml; charset=utf-8';
    ctx.attachment('feeds.opml');
    ctx.body = await exportOpml(deps, { userId: id, username });
  });

  router.post('/feeds/import', requireUser(), async (ctx) => {
    const wantsJson = ctx.accepts('html', 'json') === 'json';
    let result: Awaited<ReturnType<typeof importOpml>>;
    try {
      result = await importOpml(deps, {
        userId: user(ctx).id,
        opml: await readOpmlUpload(ctx, config.dataDir),
        maxFeeds: config.quotas.feedsPerUser,
      });
    } catch (error) {
      if (wantsJson || !(error instanceof AppError) || error.status >= 500) throw error;
      ctx.status = error.status;
      // A refused token is the form's problem; anything else is the file's.
      return renderIndex(ctx, {
        errors: { [error.status === 403 ? 'opmlForm' : 'opml']: error.message },
      });
    }
    if (wantsJson) {
      ctx.body = result;
      return;
    }
    const skipped = result.invalid > 0 ? `, ${result.invalid} skipped (not http/https)` : '';
    setFlash(
      ctx,
      'info',
      `Imported: ${result.added} new, ${result.alreadyFollowed} already followed${skipped}.`,
    );
    ctx.redirect('/feeds');
  });

  router.get('/feeds/:id', requireUser(), async (ctx) => {
    const { page } = pageQuery.parse(ctx.query);
    const result = await listFeedItems(deps, { userId: user(ctx).id, feedId: feedId(ctx), page });
    ctx.body = render(ctx, 'feeds/show.njk', {
      feed: presentFeedRow({ feed: result.feed, itemCount: result.total }),
      items: result.items.map(presentItemRow),
      page: result.page,
      hasPrevious: result.hasPrevious,
      hasNext: result.hasNext,
    });
  });

  router.post('/feeds/:id/delete', requireUser(), async (ctx) => {
    await unsubscribeFromFeed(deps, { userId: user(ctx).id, feedId: feedId(ctx) });
    setFlash(ctx, 'info', 'You no longer follow that feed.');
    ctx.redirect('/feeds');
  });

  router.post('/feeds/:id/enable', requireUser(), async (ctx) => {
    const userId = user(ctx).id;
    try {
      const reservePoll = () => pollQuota.reserve(userId, 1);
      const feed = await reenableFeed({ ...deps, reservePoll }, { userId, feedId: feedId(ctx) });
      setFlash(ctx, 'info', `${feed.title || feed.url} is enabled again and will be polled now.`);
    } catch (error) {
      if (!isRefusal(error)) throw error;
      setFlash(ctx, 'error', error.message);
    }
    ctx.redirect('/feeds');
  });

  return router;
}
