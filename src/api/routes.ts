/**
 * The JSON API under /api/v1: bookmarks. Bearer tokens (or a session, with
 * its CSRF token) identify the caller; errors are {error: {code, message}}.
 * Same validation, privacy and ownership rules as the pages. Bodies are JSON
 * objects (anything else is a 415) holding only the fields a bookmark has
 * (anything else is a 422 naming them).
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { z } from 'zod';
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
import { AppError, badRequest, notFound, validationFailed } from '../errors';
import { getProfile } from '../users';
import type { WebDeps } from '../web/deps';
import { requireUser } from '../web/middleware/auth';
import { parseOrThrow } from '../web/validate';
import { apiListQuery, checkQuery, createBody, patchBody, replaceBody } from './schemas';

export const API_PREFIX = '/api/v1';

function idParam(ctx: ParameterizedContext): number {
  const raw = String(ctx.params.id ?? '');
  if (!/^\d{1,15}$/.test(raw)) throw notFound('There is no such bookmark.');
  return Number(raw);
}

/** The body's media type, for a 415: what this method takes (RFC 9110, 15.5.16). */
const ACCEPT_HEADER: Record<string, string> = { POST: 'Accept-Post', PATCH: 'Accept-Patch' };

/**
 * A JSON object body. A body of another type is a 415 (a form or text would
 * otherwise be read as no fields at all); arrays and scalars are malformed
 * requests, not invalid fields. No body (or an empty one) is an empty object.
 */
function jsonBody(ctx: ParameterizedContext): Record<string, unknown> {
  // is() is false for a body of another type or none given; null for no body.
  if (ctx.request.length !== 0 && ctx.request.is('application/json') === false) {
    const header = ACCEPT_HEADER[ctx.method];
    if (header) ctx.set(header, 'application/json');
    throw new AppError(
      415,
      'unsupported_media_type',
      `Send the body as JSON, with Content-Type: application/json (not ${ctx.request.type || 'no Content-Type'}).`,
    );
  }
  const body = ctx.request.body;
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('The request body must be a JSON object.');
  }
  return body as Record<string, unknown>;
}

/** Unknown fields named in a 422 at most. */
const MAX_NAMED = 20;

/**
 * The body parsed by `schema`, refusing fields it does not have: a typo such
 * as "titel" must not be silently ignored. `_csrf` is the CSRF token a
 * session may send in the body; it is not a field.
 */
function parseBody<S extends z.ZodObject>(schema: S, body: Record<string, unknown>): z.infer<S> {
  const known = new Set([...Object.keys(schema.shape), '_csrf']);
  const unknown = Object.keys(body).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    // Named, but not without end: a hostile body may hold thousands.
    const named = unknown.slice(0, MAX_NAMED).map((key) => key.slice(0, 100));
    const more = unknown.length > MAX_NAMED ? ` and ${unknown.length - MAX_NAMED} more` : '';
    const names = named.map((key) => JSON.stringify(key)).join(', ') + more;
    const fields = Object.keys(schema.shape).join(', ');
    throw validationFailed(
      `Unknown field${unknown.length === 1 ? '' : 's'} ${names}: a bookmark has ${fields}.`,
      { fields: Object.fromEntries(named.map((key) => [key, 'Unknown field.'])) },
    );
  }
  const { _csrf: _token, ...fields } = body;
  return parseOrThrow(schema, fields);
}

/** Registered last on a path: reached only by methods the path does not take. */
function methodNotAllowed(allow: string) {
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
    const fields = parseBody(createBody, jsonBody(ctx));
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
      const changes = parseBody(schema, jsonBody(ctx));
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
