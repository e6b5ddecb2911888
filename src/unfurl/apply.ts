/**
 * Unfurling a saved bookmark: what the page says about itself goes into
 * unfurl_metadata; the title and description fill in only what the owner
 * left blank; the primary feed becomes feed_url and a Feed row. The fetch
 * happens outside any transaction; the write locks the row and re-checks it.
 */
import type { Knex } from 'knex';
import { Bookmark, type UnfurlMetadata } from '../bookmarks';
import { ensureFeed } from '../feeds';
import type { Fetcher } from '../fetcher';
import { labelBookmarkWrites } from '../metrics/write-context';
import { type UnfurlOutcome, unfurlPage } from './unfurl';

export type UnfurlBookmarkResult =
  | { readonly status: 'missing' | 'url_changed' }
  | { readonly status: 'unfurled' | 'failed'; readonly changed: boolean };

const MAX_TITLE = 255;

function metadataFrom(outcome: UnfurlOutcome, previous: UnfurlMetadata | null): UnfurlMetadata {
  const fetchedAt = new Date().toISOString();
  if (!outcome.ok) {
    // Keep what an earlier unfurl found: a page that is down today still had a title.
    const { error: _old, fetched_at: _at, ...kept } = previous ?? {};
    return { ...kept, error: outcome.error, fetched_at: fetchedAt };
  }
  const { title, description, image, author } = outcome.metadata;
  const metadata: UnfurlMetadata = { feeds: outcome.feeds, fetched_at: fetchedAt };
  if (title) metadata.title = title;
  if (description) metadata.description = description;
  if (image) metadata.image = image;
  if (author) metadata.author = author;
  return metadata;
}

/** The metadata without its timestamp: a re-fetch that found the same is no change. */
function sameMetadata(a: UnfurlMetadata | null, b: UnfurlMetadata): boolean {
  const strip = (m: UnfurlMetadata | null) => {
    if (!m) return null;
    const { fetched_at: _at, ...rest } = m;
    return JSON.stringify(Object.entries(rest).sort(([x], [y]) => (x < y ? -1 : 1)));
  };
  return strip(a) === strip(b);
}

export async function unfurlBookmark(
  deps: { readonly knex: Knex; readonly fetcher: Fetcher },
  input: { readonly bookmarkId: number },
): Promise<UnfurlBookmarkResult> {
  const before = await Bookmark.query(deps.knex).findById(input.bookmarkId);
  if (!before) return { status: 'missing' };
  const outcome = await unfurlPage(deps.fetcher, before.url, { checkFeedCandidates: true });

  return deps.knex.transaction(async (trx) => {
    const row = await Bookmark.query(trx).findById(input.bookmarkId).forUpdate();
    if (!row) return { status: 'missing' } as const;
    // Edited while we fetched: the edit queued its own unfurl of the new URL.
    if (row.url !== before.url) return { status: 'url_changed' } as const;

    const metadata = metadataFrom(outcome, row.unfurl_metadata);
    const patch: Partial<Pick<Bookmark, 'title' | 'description' | 'feed_url'>> = {};
    if (outcome.ok) {
      const found = outcome.metadata;
      if (!row.title.trim() && found.title) patch.title = found.title.slice(0, MAX_TITLE);
      if (!row.description.trim() && found.description) patch.description = found.description;
      const primary = outcome.feeds[0];
      if (primary) {
        const { feed } = await ensureFeed(trx, primary);
        if (feed.url !== row.feed_url) patch.feed_url = feed.url;
      }
    }
    const status = outcome.ok ? 'unfurled' : 'failed';
    if (Object.keys(patch).length === 0 && sameMetadata(row.unfurl_metadata, metadata)) {
      return { status, changed: false } as const;
    }
    await labelBookmarkWrites(trx, { operation: 'unfurl' });
    await Bookmark.query(trx)
      .patch({ ...patch, unfurl_metadata: metadata })
      .where('id', row.id);
    return { status, changed: true } as const;
  });
}
