/**
 * Managing your own tags: /tags lists them with counts; each can be renamed
 * (merged, after a confirmation, into a tag you already have by the new
 * name) or deleted (its bookmarks stay). /t/ is the public tag index.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, type FieldErrors, parseForm, parseOrThrow } from '../web/validate';
import { pageLinks } from './list-params';
import { tagIndexQuery, tagRenameForm } from './schemas';
import {
  deleteTag,
  getOwnTag,
  listOwnTags,
  type OwnTag,
  renameTag,
  suggestTags,
} from './tag-service';
import { parseTags } from './tags';

const PAGE_SIZE = 100;
const plural = (n: number) => `${n} bookmark${n === 1 ? '' : 's'}`;

/** The tag in the path, as tags are stored. */
function tagParam(ctx: ParameterizedContext): string {
  const raw = String(ctx.params.tag ?? '');
  return parseTags(raw)[0] ?? raw;
}

export function tagRoutes({ render }: WebDeps): Router {
  const router = new Router();

  /** The rename form; the owner's other tags are offered, to merge into. */
  const showRename = async (
    ctx: ParameterizedContext,
    page: {
      tag: OwnTag;
      name: string;
      errors?: FieldErrors;
      merge?: { into: string; targetCount: number };
    },
    status = 200,
  ) => {
    const tags = await suggestTags(ctx.state.user!.id);
    ctx.status = status;
    ctx.body = render(ctx, 'tags/edit.njk', {
      ...page,
      values: { name: page.name },
      errors: page.errors ?? {},
      focus: page.errors ? 'name' : undefined,
      tagSuggestions: tags.filter((name) => name !== page.tag.name),
    });
  };

  router.get('/tags', requireUser(), async (ctx) => {
    const query = parseOrThrow(tagIndexQuery, ctx.query);
    const page = await listOwnTags({
      ownerId: ctx.state.user!.id,
      sort: query.sort,
      page: query.page,
      limit: PAGE_SIZE,
    });
    ctx.body = render(ctx, 'tags/manage.njk', {
      page,
      sort: query.sort,
      links: pageLinks('/tags', ctx.querystring, page),
    });
  });

  router.get('/tags/:tag/edit', requireUser(), async (ctx) => {
    const tag = await getOwnTag({ ownerId: ctx.state.user!.id, name: tagParam(ctx) });
    await showRename(ctx, { tag, name: tag.name });
  });

  router.post('/tags/:tag/edit', requireUser(), async (ctx) => {
    const ownerId = ctx.state.user!.id;
    const tag = await getOwnTag({ ownerId, name: tagParam(ctx) });
    const parsed = parseForm(tagRenameForm, ctx.request.body);
    if (!parsed.ok) {
      const name = String(bodyOf(ctx).name ?? '');
      return showRename(ctx, { tag, name, errors: parsed.errors }, 422);
    }
    const { name, merge } = parsed.value;
    const outcome = await renameTag({ ownerId, from: tag.name, to: name, merge: merge === name });
    if (outcome.kind === 'confirm_merge') {
      const merge = { into: name, targetCount: outcome.targetCount };
      return showRename(ctx, { tag, name, merge }, 409);
    }
    const from = `“${tag.name}”`;
    const to = `“${name}”`;
    setFlash(
      ctx,
      'info',
      outcome.kind === 'unchanged'
        ? `The tag is still called ${from}: nothing was changed.`
        : outcome.kind === 'renamed'
          ? `Renamed ${from} to ${to} (${plural(outcome.count)}).`
          : `Merged ${from} into ${to}: the ${plural(outcome.count)} tagged ${from} are now tagged ${to}.`,
    );
    ctx.redirect('/tags');
  });

  router.get('/tags/:tag/delete', requireUser(), async (ctx) => {
    const tag = await getOwnTag({ ownerId: ctx.state.user!.id, name: tagParam(ctx) });
    ctx.body = render(ctx, 'tags/delete.njk', { tag });
  });

  router.post('/tags/:tag/delete', requireUser(), async (ctx) => {
    const name = tagParam(ctx);
    const count = await deleteTag({ ownerId: ctx.state.user!.id, name });
    setFlash(
      ctx,
      'info',
      `Deleted the tag “${name}”; ${plural(count)} lost it and are otherwise unchanged.`,
    );
    ctx.redirect('/tags');
  });

  return router;
}
