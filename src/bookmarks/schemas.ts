/**
 * What a bookmark form, an API body and a list query may hold. One set of
 * field rules, shared by the pages and the API, so both refuse the same input
 * with the same messages.
 */
import { z } from 'zod';
import { MAX_PAGE_SIZE, pageSizeField, safeNext } from '../web/validate';
import { MAX_SEARCH_TAGS, parseSearch } from './search';
import { parseSince, SINCE_HELP } from './since';
import { MAX_TAG_LENGTH, MAX_TAGS, parseTags } from './tags';
import { InvalidUrlError, parseBookmarkUrl } from './url';

export const MAX_TITLE_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 20_000;
/** What the lists' menu offers; any whole number from 1 to MAX_PAGE_SIZE is taken. */
export const PAGE_SIZES = [10, 25, 50, 100, 200] as const;
export const SORTS = [
  'date',
  'date_desc',
  'date_asc',
  'title',
  'title_asc',
  'title_desc',
  'feed',
] as const;
export type SortKey = (typeof SORTS)[number];

/**
 * Query strings repeat keys as arrays and forms send "" for blank fields: both
 * become one value or undefined, so `schema` must itself say what undefined
 * means (.optional() or .default()).
 */
function single<S extends z.ZodType>(schema: S) {
  return z.preprocess((value) => {
    const first = Array.isArray(value) ? value[0] : value;
    return first === '' ? undefined : first;
  }, schema);
}

export const urlField = z
  .string({ error: 'Enter a URL.' })
  .trim()
  .min(1, 'Enter a URL.')
  .transform((value, ctx) => {
    try {
      return parseBookmarkUrl(value).href;
    } catch (error) {
      if (!(error instanceof InvalidUrlError)) throw error;
      ctx.addIssue({ code: 'custom', message: error.message });
      return z.NEVER;
    }
  });

export const titleField = z
  .string({ error: 'The title must be text.' })
  .trim()
  .max(MAX_TITLE_LENGTH, `Titles are at most ${MAX_TITLE_LENGTH} characters.`);

export const descriptionField = z
  .string({ error: 'The description must be text.' })
  .max(MAX_DESCRIPTION_LENGTH, `Descriptions are at most ${MAX_DESCRIPTION_LENGTH} characters.`);

/** "a b, c" or ["a", "b"]: each tag at most 64 characters, at most 100 tags. */
export const tagsField = z
  .union([z.string().max(20_000), z.array(z.string().max(1000)).max(1000)], {
    error: 'Tags are a list of words, separated by spaces or commas.',
  })
  .transform((value, ctx) => {
    const raw = (typeof value === 'string' ? [value] : value).flatMap((s) => s.split(/[\s,]+/));
    const tooLong = raw.find((tag) => tag.length > MAX_TAG_LENGTH);
    if (tooLong !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `Tags are at most ${MAX_TAG_LENGTH} characters; shorten "${tooLong.slice(0, 20)}…".`,
      });
      return z.NEVER;
    }
    const tags = parseTags(value);
    if (new Set(raw.filter(Boolean).map((t) => t.toLowerCase())).size > MAX_TAGS) {
      ctx.addIssue({ code: 'custom', message: `A bookmark has at most ${MAX_TAGS} tags.` });
      return z.NEVER;
    }
    return tags;
  });

/** An HTML checkbox: present (any value but "false"/"0") means on. */
export const checkbox = z
  .preprocess((value) => (Array.isArray(value) ? value.at(-1) : value), z.string().optional())
  .transform((value) => value !== undefined && value !== '' && value !== 'false' && value !== '0');

const baseValue = z
  .string()
  .max(MAX_DESCRIPTION_LENGTH + 1000)
  .optional()
  .catch(undefined);

export const bookmarkForm = z.object({
  url: urlField,
  title: titleField.default(''),
  description: descriptionField.default(''),
  tags: tagsField.default([]),
  private: checkbox,
  via: z.enum(['web', 'bookmarklet']).catch('web'),
  next: z.string().max(20).optional().catch(undefined),
  popup: z.string().max(5).optional().catch(undefined),
  // The values the form was drawn with (form-changes.ts); anything odd = absent.
  base_url: baseValue,
  base_title: baseValue,
  base_description: baseValue,
  base_tags: baseValue,
  base_private: baseValue,
});
export type BookmarkForm = z.infer<typeof bookmarkForm>;

/** GET /bookmarks/new: everything optional and forgiving, it only pre-fills. */
export const newBookmarkQuery = z.object({
  url: single(z.string().max(20_000)).optional().catch(undefined),
  title: single(z.string().max(2_000)).optional().catch(undefined),
  description: single(z.string().max(MAX_DESCRIPTION_LENGTH)).optional().catch(undefined),
  tags: single(z.string().max(20_000)).optional().catch(undefined),
  via: single(z.enum(['web', 'bookmarklet'])).catch('web'),
  next: single(z.enum(['close', 'profile', 'same']))
    .optional()
    .catch(undefined),
  popup: z.preprocess((v) => v !== undefined, z.boolean()),
});

const LIMIT_HELP = `Show from 1 to ${MAX_PAGE_SIZE} per page (${PAGE_SIZES.join(', ')} are offered).`;

export const listQuery = z.object({
  q: single(
    z
      .string()
      .trim()
      .max(500, 'Searches are at most 500 characters.')
      .refine((q) => parseSearch(q).tags.length <= MAX_SEARCH_TAGS, {
        message: `A search may hold at most ${MAX_SEARCH_TAGS} #tags.`,
      })
      .optional(),
  ),
  tag: z
    .preprocess(
      (v) => (v === undefined || v === '' ? undefined : v),
      z.union([z.string(), z.array(z.string())]).optional(),
    )
    .transform((v) => parseTags(v ?? [])),
  sort: single(z.enum(SORTS, { error: `Sort by one of: ${SORTS.join(', ')}.` }).default('date')),
  since: single(z.string().max(100).optional()).transform((value, ctx) => {
    if (value === undefined) return undefined;
    const date = parseSince(value);
    if (!date) {
      ctx.addIssue({ code: 'custom', message: SINCE_HELP });
      return z.NEVER;
    }
    return date;
  }),
  limit: single(pageSizeField(LIMIT_HELP).default(10)),
  page: single(
    z.coerce
      .number({ error: 'Pages are numbered from 1.' })
      .int('Pages are numbered from 1.')
      .min(1, 'Pages are numbered from 1.')
      .max(1_000_000, 'That page is too far.')
      .default(1),
  ),
  format: single(
    z.enum(['html', 'markdown'], { error: 'format is html or markdown.' }).default('html'),
  ),
});
export type ListQuery = z.infer<typeof listQuery>;

export const tagIndexQuery = z.object({
  page: listQuery.shape.page,
  sort: single(z.enum(['name', 'count'], { error: 'Sort tags by name or count.' }).default('name')),
});

/** Where to go back to after a form: a same-site path only (never an open redirect). */
const backField = z
  .unknown()
  .transform((value) => safeNext(value, '') || undefined)
  .optional();

export const BULK_ACTIONS = ['tag', 'untag', 'private', 'public', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** The list's "with the selected bookmarks…" form (checkboxes named ids). */
export const bulkForm = z
  .object({
    ids: z
      .preprocess(
        (value) => (value === undefined ? [] : Array.isArray(value) ? value : [value]),
        z
          .array(z.string().regex(/^\d{1,15}$/, 'Bookmarks are chosen by their number.'))
          .max(MAX_PAGE_SIZE, `Choose at most ${MAX_PAGE_SIZE} bookmarks at once.`),
      )
      .transform((ids) => [...new Set(ids.map(Number))]),
    action: z.enum(BULK_ACTIONS, { error: 'Choose what to do with the selected bookmarks.' }),
    tags: tagsField.default([]),
    confirm: checkbox,
    back: backField,
  })
  .superRefine((form, ctx) => {
    if ((form.action === 'tag' || form.action === 'untag') && form.tags.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['tags'],
        message: form.action === 'tag' ? 'Enter the tags to add.' : 'Enter the tags to remove.',
      });
    }
  });
export type BulkForm = z.infer<typeof bulkForm>;

/** Renaming a tag: one word, as tags are stored. */
export const tagRenameForm = z.object({
  name: z
    .string({ error: 'Enter the new name.' })
    .trim()
    .min(1, 'Enter the new name.')
    .max(MAX_TAG_LENGTH, `Tags are at most ${MAX_TAG_LENGTH} characters.`)
    .refine((name) => !/[\s,]/.test(name), 'A tag is one word: no spaces or commas.')
    .transform((name) => parseTags(name)[0]!),
  /** The tag the person agreed to merge into: a merge happens only into that one. */
  merge: z.string().max(1_000).optional().catch(undefined),
});

export const bookmarkPreferencesForm = z.object({
  private_by_default: checkbox,
  back: backField,
});
