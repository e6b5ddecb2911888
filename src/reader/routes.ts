/**
 * The reader's pages: /reader (the combined list), /reader/items/:id (one
 * item), /reader/categories, and the forms that mark items read, poll feeds
 * and file feeds under categories. Every form works without JavaScript
 * (redirect back with a message); reader.js sends the same forms with
 * Accept: application/json and gets JSON instead.
 * Thin: auth → validate → one service call → template, redirect or JSON.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, notFound } from '../errors';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { wantsJson } from '../web/middleware/error-handler';
import { bodyOf, parseOrThrow, safeNext } from '../web/validate';
import { createCategory, deleteCategory, renameCategory, setFeedCategory } from './categories';
import { unreadText } from './followed-feeds';
import { setNavUnread } from './nav';
import {
  describePollRequest,
  presentFeedNav,
  presentItemPage,
  presentPollRequest,
  presentPollStatus,
  presentReaderPage,
} from './presenters';
import {
  categoryBody,
  DEFAULT_PAGE_SIZE,
  feedCategoryForm,
  markItemForm,
  markOlderForm,
  markPageForm,
  nextForm,
  parseId,
  pollStatusQuery,
  readerQuery,
} from './schemas';
import {
  listReaderFeeds,
  loadReaderPage,
  markScopeRead,
  openItem,
  pollNow,
  type ReaderDeps,
  readPollStatus,
  setItemRead,
  setItemsRead,
} from './service';

function pathId(ctx: ParameterizedContext, what: string): number {
  const id = parseId(ctx.params.id);
  if (id === null) throw notFound(`There is no such ${what}.`);
  return id;
}

/** Back to the page the form was on (a local path only). */
function back(ctx: ParameterizedContext, next: string | undefined, message?: string): void {
  if (message) setFlash(ctx, 'info', message);
  ctx.redirect(safeNext(next, '/reader'));
}

/**
 * A form's invalid input goes back to the form's page with the message, as
 * the rest of the page is still worth seeing; JSON callers get the 422.
 */
function formAction(
  handler: (ctx: ParameterizedContext) => Promise<void>,
  fallback = '/reader',
): (ctx: ParameterizedContext) => Promise<void> {
  return async (ctx) => {
    try {
      await handler(ctx);
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 422 || wantsJson(ctx)) throw error;
      const next = bodyOf(ctx).next;
      // A form's field speaks for itself: its message without the field's name.
      const fields = error.details?.fields as Record<string, string> | undefined;
      setFlash(ctx, 'error', (fields && Object.values(fields)[0]) || error.message);
      ctx.redirect(safeNext(typeof next === 'string' ? next : undefined, fallback));
    }
  };
}

export function readerRoutes({ config, render, db }: WebDeps): Router {
  const router = new Router();
  const deps: ReaderDeps = {
    knex: db.knex,
    pollNowMinIntervalSeconds: config.reader.pollNowMinIntervalSeconds,
  };
  const userId = (ctx: ParameterizedContext) => ctx.state.user!.id;

  router.get('/reader', requireUser(), async (ctx) => {
    const filters = parseOrThrow(readerQuery, ctx.query);
    const data = await loadReaderPage(deps, {
      userId: userId(ctx),
      feedId: filters.feed,
      categoryId: filters.category,
      tag: filters.tag,
      unreadOnly: filters.show === 'unread',
      before: filters.before,
      limit: filters.limit,
    });
    ctx.body = render(ctx, 'reader/index.njk', presentReaderPage(data, filters, DEFAULT_PAGE_SIZE));
  });

  router.get('/reader/items/:id', requireUser(), async (ctx) => {
    const { item, unread, nextUnreadId } = await openItem(deps, {
      userId: userId(ctx),
      itemId: pathId(ctx, 'item'),
    });
    if (unread) setNavUnread(ctx, unread);
    ctx.body = render(ctx, 'reader/item.njk', { item: presentItemPage(item), nextUnreadId });
  });

  router.post(
    '/reader/items/read',
    requireUser(),
    formAction(async (ctx) => {
      const form = parseOrThrow(markPageForm, ctx.request.body);
      const marked = await setItemsRead(deps, {
        userId: userId(ctx),
        itemIds: form.item_ids,
        read: true,
      });
      back(
        ctx,
        form.next,
        `Marked ${marked.length} ${marked.length === 1 ? 'item' : 'items'} read.`,
      );
    }),
  );

  router.post('/reader/items/:id/read', requireUser(), async (ctx) => {
    const itemId = pathId(ctx, 'item');
    const form = parseOrThrow(markItemForm, ctx.request.body);
    const result = await setItemRead(deps, { userId: userId(ctx), itemId, read: form.read });
    if (wantsJson(ctx)) {
      ctx.body = {
        id: result.id,
        read: result.read,
        feed_id: result.feedId,
        feed_unread: result.feedUnread,
        unread: result.unread.count,
        unread_text: unreadText(result.unread),
      };
      return;
    }
    back(ctx, form.next);
  });

  router.post(
    '/reader/read',
    requireUser(),
    formAction(async (ctx) => {
      const form = parseOrThrow(markOlderForm, ctx.request.body);
      await markScopeRead(deps, {
        scope: { userId: userId(ctx), feedId: form.feed, categoryId: form.category, tag: form.tag },
        before: form.before,
        throughItemId: form.through_item_id,
      });
      back(
        ctx,
        form.next,
        form.before
          ? `Marked read everything older than ${form.before.toISOString().slice(0, 16).replace('T', ' ')} UTC.`
          : 'Marked everything read.',
      );
    }),
  );

  const poll = async (ctx: ParameterizedContext, feedId?: number) => {
    const form = parseOrThrow(nextForm, ctx.request.body);
    const request = await pollNow(deps, { userId: userId(ctx), ...(feedId ? { feedId } : {}) });
    if (wantsJson(ctx)) {
      const query = new URLSearchParams({ after: String(request.afterItemId) });
      if (feedId) query.set('feed', String(feedId));
      ctx.status = 202;
      ctx.body = presentPollRequest(request, `/reader/polls?${query}`);
      return;
    }
    back(ctx, form.next, describePollRequest(request));
  };
  router.post('/reader/poll', requireUser(), (ctx) => poll(ctx));
  router.post('/reader/feeds/:id/poll', requireUser(), (ctx) => poll(ctx, pathId(ctx, 'feed')));

  router.get('/reader/polls', requireUser(), async (ctx) => {
    const query = parseOrThrow(pollStatusQuery, ctx.query);
    const status = await readPollStatus(deps, {
      userId: userId(ctx),
      afterItemId: query.after,
      ...(query.feed ? { feedId: query.feed } : {}),
    });
    ctx.set('Cache-Control', 'no-store');
    ctx.body = presentPollStatus(status);
  });

  router.get('/reader/categories', requireUser(), async (ctx) => {
    const { feeds, categories } = await listReaderFeeds(deps, { userId: userId(ctx) });
    ctx.body = render(ctx, 'reader/categories.njk', {
      categories,
      feeds: feeds.map(presentFeedNav),
    });
  });

  router.post(
    '/reader/categories',
    requireUser(),
    formAction(async (ctx) => {
      const { title } = parseOrThrow(categoryBody, ctx.request.body);
      await createCategory(db.knex, { userId: userId(ctx), title });
      back(ctx, '/reader/categories', `Category “${title}” created.`);
    }, '/reader/categories'),
  );

  router.post(
    '/reader/categories/:id',
    requireUser(),
    formAction(async (ctx) => {
      const categoryId = pathId(ctx, 'category');
      const { title } = parseOrThrow(categoryBody, ctx.request.body);
      await renameCategory(db.knex, { userId: userId(ctx), categoryId, title });
      back(ctx, '/reader/categories', `Category renamed to “${title}”.`);
    }, '/reader/categories'),
  );

  router.post('/reader/categories/:id/delete', requireUser(), async (ctx) => {
    await deleteCategory(db.knex, { userId: userId(ctx), categoryId: pathId(ctx, 'category') });
    back(ctx, '/reader/categories', 'Category deleted; its feeds are uncategorised now.');
  });

  router.post('/reader/feeds/:id/category', requireUser(), async (ctx) => {
    const feedId = pathId(ctx, 'feed');
    const form = parseOrThrow(feedCategoryForm, ctx.request.body);
    await setFeedCategory(db.knex, {
      userId: userId(ctx),
      feedId,
      categoryId: form.category ?? null,
    });
    back(ctx, form.next ?? '/reader/categories', 'Feed filed.');
  });

  return router;
}
