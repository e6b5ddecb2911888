/**
 * OPML import and export of a user's subscriptions and their categories
 * (folders). Import reads with htmlparser2 in XML mode, which decodes only
 * the predefined XML entities and never reads a DOCTYPE: no XXE, no entity
 * expansion.
 */
import type { Knex } from 'knex';
import { validationFailed } from '../errors';
import { MAX_HTML_DEPTH, parseBoundedHtml } from '../html';
import { Feed } from './models';
import { queueFeedPolls } from './polls';
import { assertFollowLimit } from './service';
import { tryNormaliseFeedUrl } from './urls';

export const OPML_MAX_FEEDS = 2000;
/** The length of a category's title (feed_categories.title). */
export const CATEGORY_TITLE_MAX = 100;

export interface OpmlOutline {
  readonly xmlUrl: string;
  readonly title: string | null;
  readonly htmlUrl: string | null;
  /** The folder the feed is in: the nearest enclosing outline without an xmlUrl. */
  readonly category: string | null;
}

/** Every outline with an xmlUrl, at any depth, with the folder it is in. */
export function parseOpml(text: string): OpmlOutline[] {
  const outlines: OpmlOutline[] = [];
  let sawOpml = false;
  // One entry per open <outline>: its title when it is a folder, else null.
  const open: Array<string | null> = [];
  const whole = parseBoundedHtml(
    text,
    {
      onopentag(name, attributes) {
        const tag = name.toLowerCase();
        if (tag === 'opml') sawOpml = true;
        if (tag !== 'outline') return;
        const lower = Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v]),
        );
        const title = (lower.title || lower.text || '').trim() || null;
        if (!lower.xmlurl) {
          open.push(title);
          return;
        }
        open.push(null);
        outlines.push({
          xmlUrl: lower.xmlurl.trim(),
          title,
          htmlUrl: lower.htmlurl?.trim() || null,
          category: open.findLast((folder) => folder !== null) ?? null,
        });
      },
      onclosetag(name) {
        if (name.toLowerCase() === 'outline') open.pop();
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  if (!sawOpml) throw validationFailed('That file is not OPML (no <opml> element).');
  if (!whole) {
    throw validationFailed(`That OPML file nests outlines more than ${MAX_HTML_DEPTH} deep.`);
  }
  return outlines;
}

export interface OpmlImportResult {
  readonly added: number;
  readonly alreadyFollowed: number;
  readonly invalid: number;
  /** Feeds filed under a category of the file. */
  readonly categorised: number;
}

/**
 * Follows every feed in the file, filed under the file's folders as
 * categories (created when missing; matched case-insensitively). A feed the
 * user already has in a category stays there. Feeds are not fetched here:
 * new ones are queued for polling, and a broken one shows its error on the
 * feeds page.
 */
export async function importOpml(
  deps: { readonly knex: Knex },
  input: {
    readonly userId: number;
    readonly opml: string;
    /** FEEDS_MAX_PER_USER: an import that would pass it adds nothing (422). */
    readonly maxFeeds: number;
  },
): Promise<OpmlImportResult> {
  const outlines = parseOpml(input.opml);
  if (outlines.length > OPML_MAX_FEEDS) {
    throw validationFailed(`An OPML import takes at most ${OPML_MAX_FEEDS} feeds.`);
  }
  const urls = new Set<string>();
  // Feed URL → its folder; a feed listed in two folders goes to the first.
  const categoryOf = new Map<string, string>();
  let invalid = 0;
  for (const outline of outlines) {
    const url = tryNormaliseFeedUrl(outline.xmlUrl);
    if (!url) {
      invalid++;
      continue;
    }
    urls.add(url);
    const category = outline.category?.slice(0, CATEGORY_TITLE_MAX).trim();
    if (category && !categoryOf.has(url)) categoryOf.set(url, category);
  }
  return deps.knex.transaction(async (trx) => {
    if (urls.size === 0) return { added: 0, alreadyFollowed: 0, invalid, categorised: 0 };
    const created: Array<{ id: number }> = await trx('feeds')
      .insert([...urls].map((url) => ({ url })))
      .onConflict('url')
      .ignore()
      .returning('id');
    await queueFeedPolls(
      trx,
      created.map((row) => row.id),
    );
    const feeds = await Feed.query(trx)
      .whereIn('url', [...urls])
      .select('id');
    const subscribed = await trx('feed_subscriptions')
      .insert(feeds.map((feed) => ({ user_id: input.userId, feed_id: feed.id })))
      .onConflict(['user_id', 'feed_id'])
      .ignore()
      .returning('feed_id');
    if (subscribed.length > 0) await assertFollowLimit(trx, input.userId, input.maxFeeds);
    return {
      added: subscribed.length,
      alreadyFollowed: feeds.length - subscribed.length,
      invalid,
      categorised: await fileUnderCategories(trx, input.userId, categoryOf),
    };
  });
}

/** Files the user's uncategorised subscriptions of these URLs under their categories. */
async function fileUnderCategories(
  trx: Knex.Transaction,
  userId: number,
  categoryOf: ReadonlyMap<string, string>,
): Promise<number> {
  // Grouped case-insensitively, as the unique index compares titles.
  const byTitle = new Map<string, { title: string; urls: string[] }>();
  for (const [url, title] of categoryOf) {
    const group = byTitle.get(title.toLowerCase()) ?? { title, urls: [] };
    group.urls.push(url);
    byTitle.set(title.toLowerCase(), group);
  }
  if (byTitle.size === 0) return 0;
  await trx.raw(
    `insert into feed_categories (user_id, title)
     select ?, t from unnest(?::text[]) as t
     on conflict (user_id, lower(title)) do nothing`,
    [userId, [...byTitle.values()].map((group) => group.title)],
  );
  let filed = 0;
  for (const group of byTitle.values()) {
    filed += await trx('feed_subscriptions as s')
      .update({
        category_id: trx('feed_categories')
          .select('id')
          .where('user_id', userId)
          .whereRaw('lower(title) = lower(?)', [group.title]),
      })
      .where('s.user_id', userId)
      .whereNull('s.category_id')
      .whereIn('s.feed_id', trx('feeds').select('id').whereIn('url', group.urls));
  }
  return filed;
}

const escapeXml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

function feedOutline(feed: Feed, indent: string): string {
  const title = escapeXml(feed.title || feed.url);
  const site = (feed.metadata as { url?: unknown } | null)?.url;
  const htmlUrl = typeof site === 'string' ? ` htmlUrl="${escapeXml(site)}"` : '';
  return `${indent}<outline type="rss" text="${title}" title="${title}" xmlUrl="${escapeXml(feed.url)}"${htmlUrl}/>`;
}

/**
 * OPML 2.0 of the user's subscriptions: each category a folder outline (by
 * title), then the uncategorised feeds. Empty categories are kept.
 */
export async function exportOpml(
  deps: { readonly knex: Knex },
  input: { readonly userId: number; readonly username: string; readonly now?: Date },
): Promise<string> {
  const [feeds, categories] = await Promise.all([
    Feed.query(deps.knex)
      .join('feed_subscriptions as s', 's.feed_id', 'feeds.id')
      .where('s.user_id', input.userId)
      .orderByRaw("lower(coalesce(nullif(feeds.title, ''), feeds.url)), feeds.id")
      .select('feeds.*', 's.category_id'),
    deps
      .knex('feed_categories')
      .where('user_id', input.userId)
      .orderByRaw('lower(title), id')
      .select('id', 'title') as Promise<Array<{ id: number; title: string }>>,
  ]);
  const categoryOf = (feed: Feed) => (feed as Feed & { category_id: number | null }).category_id;
  const lines: string[] = [];
  for (const category of categories) {
    const title = escapeXml(category.title);
    lines.push(`    <outline text="${title}" title="${title}">`);
    for (const feed of feeds) {
      if (categoryOf(feed) === category.id) lines.push(feedOutline(feed, '      '));
    }
    lines.push('    </outline>');
  }
  for (const feed of feeds) if (categoryOf(feed) === null) lines.push(feedOutline(feed, '    '));
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<opml version="2.0">',
    '  <head>',
    `    <title>${escapeXml(`Feeds followed by ${input.username}`)}</title>`,
    `    <dateCreated>${(input.now ?? new Date()).toUTCString()}</dateCreated>`,
    '  </head>',
    '  <body>',
    ...lines,
    '  </body>',
    '</opml>',
    '',
  ].join('\n');
}
