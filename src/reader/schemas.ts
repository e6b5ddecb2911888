/** What the reader's pages and API accept; the first problem becomes a 422 naming the field. */
import { z } from 'zod';
import { CATEGORY_TITLE_MAX, sinceField } from '../feeds';
import { MAX_PAGE_SIZE, pageSizeField } from '../web/validate';
import type { ItemCursor } from './item-list';

export const DEFAULT_PAGE_SIZE = 50;
/** Items marked by one request (a page, or an API batch). */
export const MAX_MARKED_ITEMS = 1000;

const id = z.coerce
  .number({ error: 'Give a number.' })
  .int('Give a whole number.')
  .positive('Give a positive number.')
  .max(Number.MAX_SAFE_INTEGER);

/** An item id bound (0 = before every item). */
const itemBound = z.coerce
  .number({ error: 'Give an item id.' })
  .int('Give an item id.')
  .min(0, 'Give an item id.')
  .max(Number.MAX_SAFE_INTEGER, 'Give an item id.');

/** A path id: anything but digits is simply not there (404, not 422). */
export function parseId(raw: unknown): number | null {
  const text = String(raw ?? '');
  return /^\d{1,15}$/.test(text) ? Number(text) : null;
}

const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'on', 'yes', 'no'])], {
    error: 'Give true or false.',
  })
  .transform(
    (value) =>
      value === true || value === 'true' || value === '1' || value === 'on' || value === 'yes',
  );

/** Years 1 to 200 000 in microseconds: inside what PostgreSQL's timestamps hold. */
const CURSOR_MICROS = { min: -62_135_596_800_000_000n, max: 6_249_000_000_000_000_000n } as const;

const CURSOR = /^(-?\d{1,19})_(\d{1,15})$/;

const cursor = z
  .string()
  .refine((value) => {
    const match = CURSOR.exec(value);
    if (!match) return false;
    const micros = BigInt(match[1]!);
    return micros >= CURSOR_MICROS.min && micros <= CURSOR_MICROS.max;
  }, 'Use the next_cursor of a previous answer.')
  .transform((value): ItemCursor => {
    const [sortMicros, itemId] = value.split('_');
    return { sortMicros: sortMicros!, id: Number(itemId) };
  });

const tag = z
  .string()
  .trim()
  .max(64, 'Tags are at most 64 characters.')
  .transform((value) => value.toLowerCase() || undefined);

/** Any page size up to the lists' largest, as the bookmark lists take. */
const limit = pageSizeField(`Show from 1 to ${MAX_PAGE_SIZE} items per page.`);

/** An ISO date or date-time, or a duration back from now ("2 days"); empty means everything. */
const olderThan = sinceField;

/** Empty form fields mean "not given". */
const blank = (value: unknown) => (value === '' ? undefined : value);

/** GET /reader */
export const readerQuery = z.object({
  feed: z.preprocess(blank, id.optional()),
  category: z.preprocess(blank, id.optional()),
  tag: z.preprocess(blank, tag.optional()),
  show: z.enum(['unread', 'all']).catch('unread'),
  before: z.preprocess(blank, cursor.optional()),
  limit: z.preprocess(blank, limit.optional().default(DEFAULT_PAGE_SIZE)),
});

/** GET /api/v1/feeds/items */
export const apiItemsQuery = z.object({
  unread: flag.optional().default(false),
  feed_id: id.optional(),
  category_id: id.optional(),
  tag: tag.optional(),
  before: cursor.optional(),
  limit: z.preprocess(blank, limit.optional().default(DEFAULT_PAGE_SIZE)),
});

/** POST /reader/items/:id/read (form) */
export const markItemForm = z.object({
  read: flag.optional().default(true),
  next: z.string().optional(),
});

/** A list of item ids; one form field gives a single value, not a list. */
const itemIds = z.preprocess(
  (value) => (value === undefined || Array.isArray(value) ? value : [value]),
  z
    .array(id, { error: 'Give item_ids: a list of item ids.' })
    .min(1, 'Give at least one item id.')
    .max(MAX_MARKED_ITEMS, `At most ${MAX_MARKED_ITEMS} items at once.`),
);

/** POST /reader/items/read (form: the page's item ids) */
export const markPageForm = z.object({
  item_ids: itemIds,
  next: z.string().optional(),
});

/** POST /api/v1/feeds/items/read */
export const markItemsBody = z.object({
  item_ids: itemIds,
  read: flag.optional().default(true),
});

/** POST /reader/read (form): everything in the current filter, or older than a date. */
export const markOlderForm = z.object({
  before: olderThan,
  feed: z.preprocess(blank, id.optional()),
  category: z.preprocess(blank, id.optional()),
  tag: z.preprocess(blank, tag.optional()),
  through_item_id: z.preprocess(blank, itemBound.optional()),
  next: z.string().optional(),
});

/** POST /api/v1/feeds/read and /api/v1/feeds/:id/read */
export const markOlderBody = z.object({
  before: olderThan,
  category_id: id.optional(),
  tag: tag.optional(),
  through_item_id: itemBound.optional(),
});

// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

export const categoryTitle = z
  .string({ error: 'Give the category a title.' })
  .trim()
  .min(1, 'Give the category a title.')
  .max(CATEGORY_TITLE_MAX, `Titles are at most ${CATEGORY_TITLE_MAX} characters.`)
  .refine((value) => !CONTROL.test(value), 'Titles cannot hold control characters.');

/** POST /reader/categories, /api/v1/feeds/categories (create or rename) */
export const categoryBody = z.object({ title: categoryTitle });

/** POST /reader/feeds/:id/category (form: '' for none) */
export const feedCategoryForm = z.object({
  category: z.preprocess(blank, id.optional()),
  next: z.string().optional(),
});

/** PUT /api/v1/feeds/:id/category */
export const feedCategoryBody = z.object({
  category_id: z.union([id, z.null()], { error: 'category_id is a category id, or null.' }),
});

/** GET /reader/polls, /api/v1/feeds/poll */
export const pollStatusQuery = z.object({
  feed: z.preprocess(blank, id.optional()),
  after: itemBound,
});

/** POST forms that only go back where they came from. */
export const nextForm = z.object({ next: z.string().optional() });
