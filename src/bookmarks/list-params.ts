/** Between a list's query string and the list: filters in, paging links out. */
import type { BookmarkFilters, Page } from './list';
import type { ListQuery } from './schemas';
import { parseSearch } from './search';

/**
 * The filters a list query asks for. `#tag` words in q (search.ts) join the
 * tag= parameters: every one of them must match.
 */
export function filtersFrom(query: ListQuery): BookmarkFilters {
  const search = parseSearch(query.q);
  return {
    tags: [...new Set([...query.tag, ...search.tags])],
    q: search.text,
    since: query.since,
    sort: query.sort,
    limit: query.limit,
    page: query.page,
  };
}

/** The same list on another page: every other parameter kept as it was given. */
export function pageUrl(path: string, querystring: string, page: number): string {
  const params = new URLSearchParams(querystring);
  params.delete('page');
  if (page > 1) params.set('page', String(page));
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

export function pageLinks(
  path: string,
  querystring: string,
  page: Pick<Page<unknown>, 'page' | 'pages'>,
): { next: string | null; prev: string | null } {
  return {
    next: page.page < page.pages ? pageUrl(path, querystring, page.page + 1) : null,
    prev: page.page > 1 ? pageUrl(path, querystring, Math.min(page.page - 1, page.pages)) : null,
  };
}

/** The list as Markdown instead of HTML, keeping every filter. */
export function markdownUrl(path: string, querystring: string): string {
  const params = new URLSearchParams(querystring);
  params.set('format', 'markdown');
  return `${path}?${params.toString()}`;
}
