/**
 * The lists: everyone's public bookmarks, a user's profile, a tag, a user's
 * tag, the tag index, and the Atom feeds. Every list takes q, tag, sort,
 * since, limit, page and format=markdown.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { getProfile } from '../users';
import type { WebDeps } from '../web/deps';
import { parseOrThrow } from '../web/validate';
import { renderAtom } from './atom';
import { bookmarklets } from './bookmarklet';
import { type BookmarkFilters, listBookmarks, listTags } from './list';
import { filtersFrom, markdownUrl, pageLinks } from './list-params';
import { renderMarkdown } from './markdown';
import { type ListQuery, listQuery, PAGE_SIZES, SORTS, tagIndexQuery } from './schemas';
import { suggestTags } from './tag-service';
import { parseTags } from './tags';

const ATOM_ENTRIES = 50;
const TAG_PAGE_SIZE = 100;

interface ListView {
  readonly heading: string;
  readonly template: string;
  readonly filters: BookmarkFilters;
  readonly data?: Record<string, unknown>;
}

/** One tag from the path, as tags are stored (lower case, trimmed). */
function tagParam(ctx: ParameterizedContext): string {
  return parseTags(String(ctx.params.tag ?? ''))[0] ?? String(ctx.params.tag ?? '');
}

export function bookmarkListRoutes({ config, render }: WebDeps): Router {
  const router = new Router();
  const publicUrl = config.publicUrl.replace(/\/+$/, '');

  const showList = async (ctx: ParameterizedContext, query: ListQuery, view: ListView) => {
    const asked = filtersFrom(query);
    // A tag in the path (/t/<tag>) is one more that must match.
    const tags = [...new Set([...(view.filters.tags ?? []), ...(asked.tags ?? [])])];
    const page = await listBookmarks({ ...asked, ...view.filters, tags });
    if (query.format === 'markdown') {
      ctx.type = 'text/markdown; charset=utf-8';
      ctx.body = renderMarkdown(view.heading, page.items);
      return;
    }
    ctx.body = render(ctx, view.template, {
      heading: view.heading,
      page,
      links: pageLinks(ctx.path, ctx.querystring, page),
      markdownUrl: markdownUrl(ctx.path, ctx.querystring),
      query: { ...query, since: typeof ctx.query.since === 'string' ? ctx.query.since : '' },
      sorts: SORTS,
      pageSizes: PAGE_SIZES,
      here: ctx.querystring ? `${ctx.path}?${ctx.querystring}` : ctx.path,
      ...view.data,
    });
  };

  /** The owner of a list gets checkboxes and a bulk form, with their tags to suggest. */
  const ownerTools = async (ctx: ParameterizedContext, ownerId: number) => {
    const isOwner = ctx.state.user?.id === ownerId;
    return { isOwner, tagSuggestions: isOwner ? await suggestTags(ownerId) : [] };
  };

  const sendAtom = async (ctx: ParameterizedContext, input: { username: string; tag?: string }) => {
    const { user } = await getProfile(input.username);
    const page = await listBookmarks({
      publicOnly: true,
      ownerId: user.id,
      tags: input.tag ? [input.tag] : [],
      limit: ATOM_ENTRIES,
    });
    const listPath = `/u/${encodeURIComponent(user.username)}${input.tag ? `/t/${encodeURIComponent(input.tag)}` : ''}`;
    ctx.type = 'application/atom+xml; charset=utf-8';
    ctx.body = renderAtom({
      selfUrl: `${publicUrl}${listPath}/feed.atom`,
      pageUrl: `${publicUrl}${listPath}`,
      title: input.tag
        ? `${user.username}'s bookmarks tagged ${input.tag}`
        : `${user.username}'s bookmarks`,
      author: user.username,
      fallbackUpdated: user.created_at,
      entries: page.items,
    });
  };

  router.get('/bookmarks', async (ctx) => {
    const query = parseOrThrow(listQuery, ctx.query);
    await showList(ctx, query, {
      heading: 'Everyone’s public bookmarks',
      template: 'bookmarks/index.njk',
      filters: { publicOnly: true },
    });
  });

  router.get('/u/:username', async (ctx) => {
    const query = parseOrThrow(listQuery, ctx.query);
    const { user, bio } = await getProfile(ctx.params.username!);
    const viewer = ctx.state.user;
    const { isOwner, tagSuggestions } = await ownerTools(ctx, user.id);
    const tags = await listTags({ viewer, ownerId: user.id, sort: 'count', limit: 30 });
    await showList(ctx, query, {
      heading: `${user.username}’s bookmarks`,
      template: 'profile/show.njk',
      filters: { viewer, ownerId: user.id },
      data: {
        profileUser: user,
        bio,
        isOwner,
        tagSuggestions,
        topTags: tags.items,
        bookmarklets: isOwner ? bookmarklets(`${ctx.protocol}://${ctx.host}`) : undefined,
        atomUrl: `/u/${encodeURIComponent(user.username)}/feed.atom`,
      },
    });
  });

  router.get('/u/:username/feed.atom', async (ctx) => {
    await sendAtom(ctx, { username: ctx.params.username! });
  });

  router.get('/u/:username/t/:tag/feed.atom', async (ctx) => {
    await sendAtom(ctx, { username: ctx.params.username!, tag: tagParam(ctx) });
  });

  router.get('/u/:username/t/:tag', async (ctx) => {
    const query = parseOrThrow(listQuery, ctx.query);
    const { user } = await getProfile(ctx.params.username!);
    const tag = tagParam(ctx);
    await showList(ctx, query, {
      heading: `${user.username}’s bookmarks tagged “${tag}”`,
      template: 'tags/show.njk',
      filters: { viewer: ctx.state.user, ownerId: user.id, tags: [tag] },
      data: {
        tag,
        profileUser: user,
        ...(await ownerTools(ctx, user.id)),
        atomUrl: `/u/${encodeURIComponent(user.username)}/t/${encodeURIComponent(tag)}/feed.atom`,
      },
    });
  });

  const tagIndex = async (ctx: ParameterizedContext) => {
    const query = parseOrThrow(tagIndexQuery, ctx.query);
    const page = await listTags({
      viewer: ctx.state.user,
      sort: query.sort,
      page: query.page,
      limit: TAG_PAGE_SIZE,
    });
    ctx.body = render(ctx, 'tags/index.njk', {
      page,
      sort: query.sort,
      links: pageLinks('/t/', ctx.querystring, page),
    });
  };
  router.get('/t', tagIndex);
  router.get('/t/', tagIndex);

  router.get('/t/:tag', async (ctx) => {
    const query = parseOrThrow(listQuery, ctx.query);
    const tag = tagParam(ctx);
    await showList(ctx, query, {
      heading: `Bookmarks tagged “${tag}”`,
      template: 'tags/show.njk',
      filters: { viewer: ctx.state.user, tags: [tag] },
      data: { tag },
    });
  });

  return router;
}
