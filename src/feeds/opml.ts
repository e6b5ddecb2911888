/**
 * OPML import and export of a user's subscriptions. Import reads with
 * htmlparser2 in XML mode, which decodes only the predefined XML entities
 * and never reads a DOCTYPE: no XXE, no entity expansion.
 */
import { Parser } from 'htmlparser2';
import type { Knex } from 'knex';
import { afterCommit } from '../db/after-commit';
import { recordModelWrites } from '../db/metrics';
import { validationFailed } from '../errors';
import { Feed } from './models';
import { queueFeedPolls } from './polls';
import { assertFollowLimit } from './service';
import { tryNormaliseFeedUrl } from './urls';

export const OPML_MAX_FEEDS = 2000;

export interface OpmlOutline {
  readonly xmlUrl: string;
  readonly title: string | null;
  readonly htmlUrl: string | null;
}

/** Every outline with an xmlUrl, at any depth (folders are flattened). */
export function parseOpml(text: string): OpmlOutline[] {
  const outlines: OpmlOutline[] = [];
  let sawOpml = false;
  const parser = new Parser(
    {
      onopentag(name, attributes) {
        const tag = name.toLowerCase();
        if (tag === 'opml') sawOpml = true;
        if (tag !== 'outline') return;
        const lower = Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [k.toLowerCase(), v]),
        );
        if (!lower.xmlurl) return;
        outlines.push({
          xmlUrl: lower.xmlurl.trim(),
          title: (lower.title ?? lower.text ?? '').trim() || null,
          htmlUrl: lower.htmlurl?.trim() || null,
        });
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  parser.write(text);
  parser.end();
  if (!sawOpml) throw validationFailed('That file is not OPML (no <opml> element).');
  return outlines;
}

export interface OpmlImportResult {
  readonly added: number;
  readonly alreadyFollowed: number;
  readonly invalid: number;
}

/**
 * Follows every feed in the file. Feeds are not fetched here: new ones are
 * queued for polling, and a broken one shows its error on the feeds page.
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
  let invalid = 0;
  for (const outline of outlines) {
    const url = tryNormaliseFeedUrl(outline.xmlUrl);
    if (url) urls.add(url);
    else invalid++;
  }
  return deps.knex.transaction(async (trx) => {
    if (urls.size === 0) return { added: 0, alreadyFollowed: 0, invalid };
    const created: Array<{ id: number }> = await trx('feeds')
      .insert([...urls].map((url) => ({ url })))
      .onConflict('url')
      .ignore()
      .returning('id');
    afterCommit(trx, () => recordModelWrites('feed', 'insert', created.length));
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
    };
  });
}

const escapeXml = (text: string) =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');

/** OPML 2.0 of the user's subscriptions. */
export async function exportOpml(
  deps: { readonly knex: Knex },
  input: { readonly userId: number; readonly username: string; readonly now?: Date },
): Promise<string> {
  const feeds = await Feed.query(deps.knex)
    .join('feed_subscriptions as s', 's.feed_id', 'feeds.id')
    .where('s.user_id', input.userId)
    .orderByRaw("lower(coalesce(nullif(feeds.title, ''), feeds.url)), feeds.id")
    .select('feeds.*');
  const lines = feeds.map((feed) => {
    const title = escapeXml(feed.title || feed.url);
    const site = (feed.metadata as { url?: unknown } | null)?.url;
    const htmlUrl = typeof site === 'string' ? ` htmlUrl="${escapeXml(site)}"` : '';
    return `    <outline type="rss" text="${title}" title="${title}" xmlUrl="${escapeXml(feed.url)}"${htmlUrl}/>`;
  });
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
