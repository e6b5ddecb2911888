/**
 * The JSON API under /api/v1: bookmarks. Bearer tokens (or a session, with
 * its CSRF token) identify the caller; errors are {error: {code, message}}.
 * Same validation, privacy and ownership rules as the pages. Bodies follow
 * the API's rules (parseJsonBody: JSON or a 415, unknown fields a 422
 * naming them), shared with the reader's API.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import {
  authorizeEdit,
  createOrUpdateBookmark,
  deleteBookmark,
  filtersFrom,
  findOwnBookmarkByUrl,
  getBookmark,
  listBookmarks,
  pageLinks,
  presentBookmark,
  presentBookmarkPage,
  updateBookmark,
} from '../bookmarks';
import { AppError, notFound } from '../errors';
import { getProfile } from '../users';
import type { WebDeps } from '../web/deps';
import { requireUser } from '../web/middleware/auth';
import { parseJsonBody, parseOrThrow } from '../web/validate';
import { apiListQuery, checkQuery, createBody, patchBody, replaceBody } from './schemas';

export const API_PREFIX = '/api/v1';

/** How a 422 for unknown fields ends: "…: a bookmark has url, title, …". */
const A_BOOKMARK_HAS = 'a bookmark has';

function idParam(ctx: ParameterizedContext): number {
  const raw = String(ctx.params.id ?? '');
  if (!/^\d{1,15}$/.test(raw)) throw notFound('There is no such bookmark.');
  return Number(raw);
}

/**
 * Registered last on a path: reached only by methods the path does not take.
 * A JSON 405 with Allow, where the router's allowedMethods() would answer in
 * text/plain; the reader's API uses it too.
 */
export function methodNotAllowed(allow: string) {
  return (ctx: ParameterizedContext) => {
    ctx.set('Allow', allow);
    throw new AppError(405, 'method_not_allowed', `This address takes ${allow}.`);
  };
}

export function apiRoutes(_deps: WebDeps): Router {
  const router = new Router({ prefix: API_PREFIX });

  router.get('/bookmarks', requireUser(), async (ctx) => {
    const query = parseOrThrow(apiListQuery, ctx.query);
    const viewer = ctx.state.user!;
    // Your own bookmarks by default; ?user=name for someone else's (public ones only).
    const ownerId = query.user ? (await getProfile(query.user)).user.id : viewer.id;
    const page = await listBookmarks({ ...filtersFrom(query), viewer, ownerId });
    ctx.body = presentBookmarkPage(page, pageLinks(ctx.path, ctx.querystring, page));
  });

  router.post('/bookmarks', requireUser(), async (ctx) => {
    const fields = parseJsonBody(ctx, createBody, A_BOOKMARK_HAS);
    const { bookmark, created } = await createOrUpdateBookmark({
      ownerId: ctx.state.user!.id,
      fields,
      source: 'api',
    });
    ctx.status = created ? 201 : 200;
    ctx.set('Location', `${API_PREFIX}/bookmarks/${bookmark.id}`);
    ctx.body = presentBookmark(bookmark);
  });

  // Whether the caller already has a page (any spelling of its URL): the Add
  // form asks as you type; scripts may too.
  router.get('/bookmarks/check', requireUser(), async (ctx) => {
    const { url } = parseOrThrow(checkQuery, ctx.query);
    const bookmark = await findOwnBookmarkByUrl({ ownerId: ctx.state.user!.id, url });
    ctx.body = { bookmark: bookmark ? presentBookmark(bookmark) : null };
  });

  router.get('/bookmarks/:id', requireUser(), async (ctx) => {
    const bookmark = await getBookmark({ viewer: ctx.state.user, id: idParam(ctx) });
    ctx.body = presentBookmark(bookmark);
  });

  const update =
    (schema: typeof patchBody | typeof replaceBody) => async (ctx: ParameterizedContext) => {
      const id = idParam(ctx);
      // Who may touch it is settled before the body is judged: strangers learn nothing.
      authorizeEdit(ctx.state.user, await getBookmark({ viewer: ctx.state.user, id }));
      const changes = parseJsonBody(ctx, schema, A_BOOKMARK_HAS);
      const { bookmark } = await updateBookmark({ actor: ctx.state.user!, id, changes });
      ctx.body = presentBookmark(bookmark);
    };
  router.patch('/bookmarks/:id', requireUser(), update(patchBody));
  router.put('/bookmarks/:id', requireUser(), update(replaceBody));

  router.delete('/bookmarks/:id', requireUser(), async (ctx) => {
    await deleteBookmark({ actor: ctx.state.user!, id: idParam(ctx) });
    ctx.status = 204;
  });

  router.all('/bookmarks', methodNotAllowed('GET, POST'));
  router.all('/bookmarks/check', methodNotAllowed('GET'));
  router.all('/bookmarks/:id', methodNotAllowed('GET, PATCH, PUT, DELETE'));

  return router;
}
