/**
 * The fields a JSON answer carries. Models and records are never serialised
 * directly: a column added later does not leak into the API by accident.
 */
import type { Page, TagCount } from './list';
import type { BookmarkRecord } from './records';

export interface BookmarkJson {
  id: number;
  url: string;
  title: string;
  description: string;
  tags: string[];
  private: boolean;
  owner: string;
  feed_url: string | null;
  unfurl: {
    title: string | null;
    description: string | null;
    image: string | null;
    author: string | null;
    feeds: string[];
    fetched_at: string | null;
    /** Why the page could not be fetched the last time, or null. */
    error: string | null;
  } | null;
  created_at: string;
  updated_at: string;
}

export function presentBookmark(bookmark: BookmarkRecord): BookmarkJson {
  const unfurl = bookmark.unfurl;
  return {
    id: bookmark.id,
    url: bookmark.url,
    title: bookmark.title,
    description: bookmark.description,
    tags: [...bookmark.tags],
    private: bookmark.private,
    owner: bookmark.ownerUsername,
    feed_url: bookmark.feedUrl,
    unfurl: unfurl
      ? {
          title: unfurl.title ?? null,
          description: unfurl.description ?? null,
          image: unfurl.image ?? null,
          author: unfurl.author ?? null,
          feeds: unfurl.feeds ?? [],
          fetched_at: unfurl.fetched_at ?? null,
          error: unfurl.error ?? null,
        }
      : null,
    created_at: bookmark.createdAt.toISOString(),
    updated_at: bookmark.updatedAt.toISOString(),
  };
}

export interface PageLinks {
  readonly next: string | null;
  readonly prev: string | null;
}

export function presentBookmarkPage(page: Page<BookmarkRecord>, links: PageLinks) {
  return {
    items: page.items.map(presentBookmark),
    total: page.total,
    page: page.page,
    limit: page.limit,
    pages: page.pages,
    next: links.next,
    prev: links.prev,
  };
}

export function presentTagPage(page: Page<TagCount>) {
  return {
    items: page.items.map((tag) => ({ name: tag.name, count: tag.count })),
    total: page.total,
    page: page.page,
    limit: page.limit,
    pages: page.pages,
  };
}
