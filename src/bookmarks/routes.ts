/**
 * The bookmark forms: add (also from the bookmarklets), edit, delete, fetch
 * again, and the page that takes the bookmarklet back to where it was. Lists
 * live in list-routes.ts, tags in tag-routes.ts, bulk changes in
 * bulk-routes.ts. Each handler: auth → validate → one service call →
 * template or redirect.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, isRefusal, notFound } from '../errors';
import { createFetcher, createOnDemandQuota } from '../fetcher';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, parseForm, safeNext } from '../web/validate';
import { changedFields } from './form-changes';
import {
  carried,
  type FormPage,
  firstInvalid,
  nextOf,
  reviewOf,
  submittedValues,
} from './form-page';
import { authorizeEdit } from './policies';
import { prefillBookmarkForm, valuesOf } from './prefill';
import type { BookmarkRecord } from './records';
import { proposedValues, resaveMessage } from './resave';
import { type BookmarkForm, bookmarkForm, newBookmarkQuery } from './schemas';
import {
  addBookmark,
  deleteBookmark,
  getBookmark,
  refetchBookmark,
  updateBookmark,
} from './service';
import { suggestTags } from './tag-service';
import { parseBookmarkUrl } from './url';

/** Ids are digits only: /bookmarks/export/… and the like are never an id. */
export function bookmarkId(ctx: ParameterizedContext): number {
  const raw = String(ctx.params.id ?? '');
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw notFound('There is no such bookmark.');
  return id;
}

/** The page a bookmark is of, if it can be gone back to (http or https only). */
function returnUrl(bookmark: BookmarkRecord): string | undefined {
  try {
    return parseBookmarkUrl(bookmark.url).href;
  } catch {
    return undefined;
  }
}

export function bookmarkRoutes({ config, db, render }: WebDeps): Router {
  const router = new Router();
  const fetcher = createFetcher(config.fetch);
  const perHour = config.quotas.bookmarkRefetchesPerHour;
  const refetchQuota = createOnDemandQuota(db.knex, {
    name: 'bookmark_refetch',
    perHour,
    refusal: (_count, minutes) =>
      `Pages can be fetched again ${perHour} times an hour (BOOKMARK_REFETCHES_PER_HOUR). Try again in ${minutes} minutes.`,
  });

  const showForm = async (ctx: ParameterizedContext, page: FormPage, status = 200) => {
    ctx.status = status;
    ctx.body = render(ctx, 'bookmarks/form.njk', {
      errors: {},
      base: page.values,
      ...page,
      focus: firstInvalid(page.errors),
      tagSuggestions: await suggestTags(ctx.state.user!.id),
    });
  };

  const afterSave = (
    ctx: ParameterizedContext,
    bookmark: BookmarkRecord,
    form: BookmarkForm,
    message: string,
  ) => {
    const next = nextOf(form.next);
    if (next === 'close') {
      ctx.body = render(ctx, 'bookmarks/saved.njk', {
        bookmark,
        message,
        popup: true,
        closeWindow: true,
      });
      return;
    }
    setFlash(ctx, 'info', message);
    // Back to the bookmarked page through a page of ours: Chromium applies the
    // form's CSP (form-action 'self') to a redirect answering the POST.
    ctx.redirect(
      next === 'same'
        ? `/bookmarks/${bookmark.id}/saved`
        : `/u/${encodeURIComponent(bookmark.ownerUsername)}`,
    );
  };

  const loadForEdit = async (ctx: ParameterizedContext) => {
    const bookmark = await getBookmark({ viewer: ctx.state.user, id: bookmarkId(ctx) });
    authorizeEdit(ctx.state.user, bookmark);
    return bookmark;
  };

  router.get('/bookmarks/new', requireUser(), async (ctx) => {
    const query = newBookmarkQuery.parse(ctx.query);
    const { existing, values, unfurlError } = await prefillBookmarkForm({
      ownerId: ctx.state.user!.id,
      query,
      fetcher,
      timeoutMs: config.fetch.timeoutMs,
    });
    await showForm(ctx, {
      action: existing ? `/bookmarks/${existing.id}/edit` : '/bookmarks/new',
      existing,
      values,
      unfurlError,
      via: query.via,
      next: query.next,
      popup: query.popup,
    });
  });

  router.post('/bookmarks/new', requireUser(), async (ctx) => {
    const parsed = parseForm(bookmarkForm, ctx.request.body);
    if (!parsed.ok) {
      return showForm(
        ctx,
        {
          action: '/bookmarks/new',
          ...submittedValues(ctx),
          errors: parsed.errors,
          ...carried(ctx),
        },
        422,
      );
    }
    const form = parsed.value;
    const changes = changedFields(form);
    const outcome = await addBookmark({
      ownerId: ctx.state.user!.id,
      fields: form,
      changes,
      source: form.via,
    });
    if (outcome.kind === 'review') {
      const existing = outcome.bookmark;
      const proposed = proposedValues(existing, changes);
      return showForm(
        ctx,
        {
          action: `/bookmarks/${existing.id}/edit`,
          existing,
          values: { ...proposed, url: existing.url, tags: proposed.tags.join(' ') },
          base: valuesOf(existing),
          ...reviewOf(existing, outcome.plan.conflicts),
          ...carried(ctx),
        },
        409,
      );
    }
    const message =
      outcome.kind === 'created'
        ? 'Bookmark saved.'
        : resaveMessage(outcome, outcome.bookmark.createdAt);
    afterSave(ctx, outcome.bookmark, form, message);
  });

  router.get('/bookmarks/:id/edit', requireUser(), async (ctx) => {
    const bookmark = await loadForEdit(ctx);
    await showForm(ctx, {
      action: `/bookmarks/${bookmark.id}/edit`,
      existing: bookmark,
      values: valuesOf(bookmark),
      via: 'web',
      next: nextOf(ctx.query.next),
      popup: ctx.query.popup !== undefined,
    });
  });

  router.post('/bookmarks/:id/edit', requireUser(), async (ctx) => {
    // Authorisation before validation: a stranger learns nothing from the errors.
    const existing = await loadForEdit(ctx);
    const action = `/bookmarks/${existing.id}/edit`;
    const parsed = parseForm(bookmarkForm, ctx.request.body);
    if (!parsed.ok) {
      const { values, base } = submittedValues(ctx);
      const page = { action, existing, values, base, errors: parsed.errors, ...carried(ctx) };
      return showForm(ctx, page, 422);
    }
    const form = parsed.value;
    try {
      const { bookmark, changed } = await updateBookmark({
        actor: ctx.state.user!,
        id: existing.id,
        changes: changedFields(form),
      });
      afterSave(ctx, bookmark, form, changed ? 'Bookmark updated.' : 'Nothing was changed.');
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 409) throw error;
      const { values, base } = submittedValues(ctx);
      const errors = { url: error.message };
      await showForm(ctx, { action, existing, values, base, errors, ...carried(ctx) }, 409);
    }
  });

  // Where the main bookmarklet lands after saving: a page of ours that goes
  // on to the bookmarked page itself. Only the owner's own bookmark's URL,
  // never one from the request: no open redirect.
  router.get('/bookmarks/:id/saved', requireUser(), async (ctx) => {
    const bookmark = await loadForEdit(ctx);
    ctx.set('Cache-Control', 'no-store');
    ctx.body = render(ctx, 'bookmarks/saved.njk', {
      bookmark,
      returnTo: returnUrl(bookmark),
      popup: true,
    });
  });

  router.post('/bookmarks/:id/refetch', requireUser(), async (ctx) => {
    const actor = ctx.state.user!;
    try {
      const reserveFetch = () => refetchQuota.reserve(actor.id, 1);
      await refetchBookmark({ reserveFetch }, { actor, id: bookmarkId(ctx) });
      setFlash(ctx, 'info', 'Fetching the page again. Reload in a few seconds to see the result.');
    } catch (error) {
      if (!isRefusal(error)) throw error;
      setFlash(ctx, 'error', error.message);
    }
    ctx.redirect(safeNext(bodyOf(ctx).back, `/u/${encodeURIComponent(actor.username)}`));
  });

  router.get('/bookmarks/:id/delete', requireUser(), async (ctx) => {
    const bookmark = await loadForEdit(ctx);
    ctx.body = render(ctx, 'bookmarks/delete.njk', { bookmark });
  });

  router.post('/bookmarks/:id/delete', requireUser(), async (ctx) => {
    await deleteBookmark({ actor: ctx.state.user!, id: bookmarkId(ctx) });
    setFlash(ctx, 'info', 'Bookmark deleted.');
    ctx.redirect(`/u/${encodeURIComponent(ctx.state.user!.username)}`);
  });

  return router;
}
