/**
 * What a bookmark form, an API body and a list query may hold. One set of
 * field rules, shared by the pages and the API, so both refuse the same input
 * with the same messages.
 */
import { z } from 'zod';
import { parseSince, SINCE_HELP } from './since';
import { MAX_TAG_LENGTH, MAX_TAGS, parseTags } from './tags';
import { InvalidUrlError, parseBookmarkUrl } from './url';

export const MAX_TITLE_LENGTH = 255;
export const MAX_DESCRIPTION_LENGTH = 20_000;
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
const checkbox = z
  .preprocess((value) => (Array.isArray(value) ? value.at(-1) : value), z.string().optional())
  .transform((value) => value !== undefined && value !== '' && value !== 'false' && value !== '0');

export const bookmarkForm = z.object({
  url: urlField,
  title: titleField.default(''),
  description: descriptionField.default(''),
  tags: tagsField.default([]),
  private: checkbox,
  via: z.enum(['web', 'bookmarklet']).catch('web'),
  next: z.string().max(20).optional().catch(undefined),
  popup: z.string().max(5).optional().catch(undefined),
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

export const listQuery = z.object({
  q: single(z.string().trim().max(500, 'Searches are at most 500 characters.').optional()),
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
  limit: single(
    z.coerce
      .number()
      .refine((n) => (PAGE_SIZES as readonly number[]).includes(n), {
        message: `Show ${PAGE_SIZES.join(', ')} per page.`,
      })
      .default(10),
  ),
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
