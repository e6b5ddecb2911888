/**
 * The bookmark forms: add (also from the bookmarklets), edit, delete. Lists
 * live in list-routes.ts. Each handler: auth → validate → one service call →
 * template or redirect.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, notFound } from '../errors';
import { createFetcher } from '../fetcher';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, type FieldErrors, parseForm } from '../web/validate';
import { authorizeEdit } from './policies';
import { type FormValues, prefillBookmarkForm, valuesOf } from './prefill';
import type { BookmarkRecord } from './records';
import { type BookmarkForm, bookmarkForm, newBookmarkQuery } from './schemas';
import { createOrUpdateBookmark, deleteBookmark, getBookmark, updateBookmark } from './service';

type Next = 'close' | 'profile' | 'same' | undefined;

interface FormPage {
  readonly action: string;
  readonly existing?: BookmarkRecord;
  readonly values: FormValues;
  readonly errors?: FieldErrors;
  readonly via: 'web' | 'bookmarklet';
  readonly next: Next;
  readonly popup: boolean;
}

/** Ids are digits only: /bookmarks/export/… and the like are never an id. */
export function bookmarkId(ctx: ParameterizedContext): number {
  const raw = String(ctx.params.id ?? '');
  const id = /^\d{1,15}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw notFound('There is no such bookmark.');
  return id;
}

function nextOf(value: unknown): Next {
  return value === 'close' || value === 'profile' || value === 'same' ? value : undefined;
}

/** What the form sent, for showing it again with its errors. */
function submittedValues(ctx: ParameterizedContext): FormValues {
  const body = bodyOf(ctx);
  const text = (key: string) => (typeof body[key] === 'string' ? (body[key] as string) : '');
  return {
    url: text('url'),
    title: text('title'),
    description: text('description'),
    tags: text('tags'),
    private: body.private !== undefined && body.private !== '',
  };
}

export function bookmarkRoutes({ config, render }: WebDeps): Router {
  const router = new Router();
  const fetcher = createFetcher(config.fetch);

  const showForm = (ctx: ParameterizedContext, page: FormPage, status = 200) => {
    ctx.status = status;
    ctx.body = render(ctx, 'bookmarks/form.njk', { errors: {}, ...page });
  };

  const afterSave = (
    ctx: ParameterizedContext,
    bookmark: BookmarkRecord,
    form: BookmarkForm,
    message: string,
  ) => {
    const next = nextOf(form.next);
    if (next === 'close') {
      ctx.body = render(ctx, 'bookmarks/saved.njk', { bookmark, popup: true });
      return;
    }
    if (next === 'same') {
      // Back to the page that was bookmarked: its URL was just validated as http(s).
      ctx.redirect(bookmark.url);
      return;
    }
    setFlash(ctx, 'info', message);
    ctx.redirect(`/u/${encodeURIComponent(bookmark.ownerUsername)}`);
  };

  const loadForEdit = async (ctx: ParameterizedContext) => {
    const bookmark = await getBookmark({ viewer: ctx.state.user, id: bookmarkId(ctx) });
    authorizeEdit(ctx.state.user, bookmark);
    return bookmark;
  };

  router.get('/bookmarks/new', requireUser(), async (ctx) => {
    const query = newBookmarkQuery.parse(ctx.query);
    const { existing, values } = await prefillBookmarkForm({
      ownerId: ctx.state.user!.id,
      query,
      fetcher,
      timeoutMs: config.fetch.timeoutMs,
    });
    showForm(ctx, {
      action: existing ? `/bookmarks/${existing.id}/edit` : '/bookmarks/new',
      existing,
      values,
      via: query.via,
      next: query.next,
      popup: query.popup,
    });
  });

  router.post('/bookmarks/new', requireUser(), async (ctx) => {
    const parsed = parseForm(bookmarkForm, ctx.request.body);
    if (!parsed.ok) {
      const body = bodyOf(ctx);
      return showForm(
        ctx,
        {
          action: '/bookmarks/new',
          values: submittedValues(ctx),
          errors: parsed.errors,
          via: body.via === 'bookmarklet' ? 'bookmarklet' : 'web',
          next: nextOf(body.next),
          popup: Boolean(body.popup),
        },
        422,
      );
    }
    const form = parsed.value;
    const { bookmark, created } = await createOrUpdateBookmark({
      ownerId: ctx.state.user!.id,
      fields: form,
      source: form.via,
    });
    afterSave(
      ctx,
      bookmark,
      form,
      created ? 'Bookmark saved.' : 'You already had that page: bookmark updated.',
    );
  });

  router.get('/bookmarks/:id/edit', requireUser(), async (ctx) => {
    const bookmark = await loadForEdit(ctx);
    showForm(ctx, {
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
    const parsed = parseForm(bookmarkForm, ctx.request.body);
    if (!parsed.ok) {
      const body = bodyOf(ctx);
      return showForm(
        ctx,
        {
          action: `/bookmarks/${existing.id}/edit`,
          existing,
          values: submittedValues(ctx),
          errors: parsed.errors,
          via: 'web',
          next: nextOf(body.next),
          popup: Boolean(body.popup),
        },
        422,
      );
    }
    const form = parsed.value;
    try {
      const { bookmark } = await updateBookmark({
        actor: ctx.state.user!,
        id: existing.id,
        changes: form,
      });
      afterSave(ctx, bookmark, form, 'Bookmark updated.');
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 409) throw error;
      showForm(
        ctx,
        {
          action: `/bookmarks/${existing.id}/edit`,
          existing,
          values: submittedValues(ctx),
          errors: { url: error.message },
          via: 'web',
          next: nextOf(form.next),
          popup: Boolean(form.popup),
        },
        409,
      );
    }
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
