/**
 * The reader in the JSON API, under /api/v1/feeds: items (unread or all,
 * filtered, paged by cursor), marking read, "poll now" and its progress,
 * categories. Same rules as the pages: only feeds the caller follows exist
 * (404 for any other), errors are {error: {code, message}}. Bodies follow
 * the API's rules (parseJsonBody: JSON or a 415, unknown fields a 422
 * naming them), as the bookmarks API does.
 * Thin: auth → validate → one service call → presenter.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { methodNotAllowed } from '../api/routes';
import { notFound } from '../errors';
import type { WebDeps } from '../web/deps';
import { requireUser } from '../web/middleware/auth';
import { parseJsonBody, parseOrThrow } from '../web/validate';
import { createCategory, deleteCategory, renameCategory, setFeedCategory } from './categories';
import {
  cursorText,
  presentCategoryJson,
  presentFeedJson,
  presentItemJson,
  presentPollRequest,
  presentPollStatus,
} from './presenters';
import {
  apiItemsQuery,
  categoryBody,
  feedCategoryBody,
  markItemsBody,
  markOlderBody,
  parseId,
  pollStatusQuery,
} from './schemas';
import {
  getItem,
  listItems,
  listReaderFeeds,
  markScopeRead,
  pollNow,
  type ReaderDeps,
  readPollStatus,
  setItemsRead,
} from './service';

const PREFIX = '/api/v1';

function pathId(ctx: ParameterizedContext, what: string): number {
  const id = parseId(ctx.params.id);
  if (id === null) throw notFound(`There is no such ${what}.`);
  return id;
}

export function readerApiRoutes({ config, db }: WebDeps): Router {
  const router = new Router({ prefix: PREFIX });
  const deps: ReaderDeps = {
    knex: db.knex,
    pollNowMinIntervalSeconds: config.reader.pollNowMinIntervalSeconds,
  };
  const userId = (ctx: ParameterizedContext) => ctx.state.user!.id;

  router.get('/feeds', requireUser(), async (ctx) => {
    const { feeds, categories } = await listReaderFeeds(deps, { userId: userId(ctx) });
    ctx.body = {
      unread: feeds.reduce((sum, feed) => sum + feed.unread, 0),
      feeds: feeds.map(presentFeedJson),
      categories: categories.map((category) =>
        presentCategoryJson(
          category,
          feeds.filter((f) => f.categoryId === category.id).reduce((sum, f) => sum + f.unread, 0),
        ),
      ),
    };
  });

  router.get('/feeds/items', requireUser(), async (ctx) => {
    const query = parseOrThrow(apiItemsQuery, ctx.query);
    const page = await listItems(deps, {
      userId: userId(ctx),
      feedId: query.feed_id,
      categoryId: query.category_id,
      tag: query.tag,
      unreadOnly: query.unread,
      before: query.before,
      limit: query.limit,
    });
    const next = page.next ? new URLSearchParams(ctx.querystring) : null;
    next?.set('before', cursorText(page.next!));
    ctx.body = {
      items: page.items.map(presentItemJson),
      next_cursor: page.next ? cursorText(page.next) : null,
      next: next ? `${PREFIX}/feeds/items?${next}` : null,
      through_item_id: page.throughItemId,
    };
  });

  // Before /feeds/:id/read, which the same path would otherwise match.
  router.post('/feeds/items/read', requireUser(), async (ctx) => {
    const body = parseJsonBody(ctx, markItemsBody);
    const marked = await setItemsRead(deps, {
      userId: userId(ctx),
      itemIds: body.item_ids,
      read: body.read,
    });
    const found = new Set(marked);
    ctx.body = {
      read: body.read,
      marked,
      not_found: body.item_ids.filter((id) => !found.has(id)),
    };
  });

  router.get('/feeds/items/:id', requireUser(), async (ctx) => {
    const item = await getItem(deps, { userId: userId(ctx), itemId: pathId(ctx, 'item') });
    ctx.body = { ...presentItemJson(item), content: item.description };
  });

  const markRead = async (ctx: ParameterizedContext, feedId?: number) => {
    const body = parseJsonBody(ctx, markOlderBody);
    const result = await markScopeRead(deps, {
      scope: { userId: userId(ctx), feedId, categoryId: body.category_id, tag: body.tag },
      before: body.before,
      throughItemId: body.through_item_id,
    });
    ctx.body = { feeds: result.feeds, before: body.before?.toISOString() ?? null };
  };
  router.post('/feeds/read', requireUser(), (ctx) => markRead(ctx));
  router.post('/feeds/:id/read', requireUser(), (ctx) => markRead(ctx, pathId(ctx, 'feed')));

  const requestPoll = async (ctx: ParameterizedContext, feedId?: number) => {
    const request = await pollNow(deps, { userId: userId(ctx), ...(feedId ? { feedId } : {}) });
    const path = feedId ? `${PREFIX}/feeds/${feedId}/poll` : `${PREFIX}/feeds/poll`;
    const status = `${path}?after=${request.afterItemId}`;
    ctx.status = 202;
    ctx.set('Location', status);
    ctx.body = presentPollRequest(request, status);
  };
  const pollProgress = async (ctx: ParameterizedContext, feedId?: number) => {
    const query = parseOrThrow(pollStatusQuery, ctx.query);
    const status = await readPollStatus(deps, {
      userId: userId(ctx),
      afterItemId: query.after,
      ...(feedId ? { feedId } : {}),
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = presentPollStatus(status);
  };
  router.post('/feeds/poll', requireUser(), (ctx) => requestPoll(ctx));
  router.get('/feeds/poll', requireUser(), (ctx) => pollProgress(ctx));
  router.post('/feeds/:id/poll', requireUser(), (ctx) => requestPoll(ctx, pathId(ctx, 'feed')));
  router.get('/feeds/:id/poll', requireUser(), (ctx) => pollProgress(ctx, pathId(ctx, 'feed')));

  router.get('/feeds/categories', requireUser(), async (ctx) => {
    const { feeds, categories } = await listReaderFeeds(deps, { userId: userId(ctx) });
    ctx.body = {
      categories: categories.map((category) =>
        presentCategoryJson(
          category,
          feeds.filter((f) => f.categoryId === category.id).reduce((sum, f) => sum + f.unread, 0),
        ),
      ),
    };
  });

  router.post('/feeds/categories', requireUser(), async (ctx) => {
    const { title } = parseJsonBody(ctx, categoryBody);
    const category = await createCategory(db.knex, { userId: userId(ctx), title });
    ctx.status = 201;
    ctx.set('Location', `${PREFIX}/feeds/categories/${category.id}`);
    ctx.body = presentCategoryJson(category);
  });

  router.patch('/feeds/categories/:id', requireUser(), async (ctx) => {
    const categoryId = pathId(ctx, 'category');
    const { title } = parseJsonBody(ctx, categoryBody);
    const category = await renameCategory(db.knex, { userId: userId(ctx), categoryId, title });
    ctx.body = presentCategoryJson(category);
  });

  router.delete('/feeds/categories/:id', requireUser(), async (ctx) => {
    await deleteCategory(db.knex, { userId: userId(ctx), categoryId: pathId(ctx, 'category') });
    ctx.status = 204;
  });

  router.put('/feeds/:id/category', requireUser(), async (ctx) => {
    const feedId = pathId(ctx, 'feed');
    const { category_id } = parseJsonBody(ctx, feedCategoryBody);
    await setFeedCategory(db.knex, { userId: userId(ctx), feedId, categoryId: category_id });
    ctx.body = { feed_id: feedId, category_id };
  });

  // Any other method is a JSON 405 with Allow, as in the bookmarks API. Fixed
  // paths before the :id ones that would also match them (/feeds/items/read).
  const allowed: Array<[string, string]> = [
    ['/feeds', 'GET'],
    ['/feeds/items', 'GET'],
    ['/feeds/items/read', 'POST'],
    ['/feeds/items/:id', 'GET'],
    ['/feeds/read', 'POST'],
    ['/feeds/poll', 'GET, POST'],
    ['/feeds/categories', 'GET, POST'],
    ['/feeds/categories/:id', 'PATCH, DELETE'],
    ['/feeds/:id/read', 'POST'],
    ['/feeds/:id/poll', 'GET, POST'],
    ['/feeds/:id/category', 'PUT'],
  ];
  for (const [path, methods] of allowed) router.all(path, methodNotAllowed(methods));

  return router;
}
