import { z } from 'zod';
import { parseSince } from './since';
import { FEED_URL_MAX } from './urls';

export const subscribeForm = z.object({
  url: z
    .string({ error: 'Enter the address of a feed or of a web page.' })
    .trim()
    .min(1, 'Enter the address of a feed or of a web page.')
    .max(FEED_URL_MAX, `Addresses are at most ${FEED_URL_MAX} characters.`),
});

export const feedIdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(100_000).catch(1),
});

/** An ISO date or date-time, or a duration back from now ("2 days"); empty is null. */
export const since = z
  .string()
  .trim()
  .max(100)
  .optional()
  .nullable()
  .transform((value, ctx) => {
    if (!value) return null;
    const date = parseSince(value);
    if (!date) {
      ctx.addIssue({
        code: 'custom',
        message: 'Use an ISO date (2024-01-31) or a duration such as "2 days".',
      });
      return z.NEVER;
    }
    return date;
  });

const perFeedLimit = z.coerce
  .number({ error: 'per_feed_limit is a number from 1 to 1000.' })
  .int()
  .min(1, 'per_feed_limit is a number from 1 to 1000.')
  .max(1000, 'per_feed_limit is a number from 1 to 1000.');

/** GET /feeds/get?urls=…&urls=…&since=&per_feed_limit= */
export const feedsGetQuery = z.object({
  urls: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .pipe(z.array(z.string().max(FEED_URL_MAX)).max(100, 'At most 100 urls at once.')),
  since,
  per_feed_limit: perFeedLimit.optional().default(100),
});

/** POST /feeds/fetch {urls, since, per_feed_limit} */
export const feedsFetchBody = z.object({
  urls: z
    .array(z.string().max(FEED_URL_MAX), { error: 'urls must be a list of feed URLs.' })
    .min(1, 'Give at least one URL in urls.')
    .max(50, 'At most 50 urls at once.'),
  since,
  per_feed_limit: perFeedLimit.optional().default(100),
});
