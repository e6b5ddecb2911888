import { z } from 'zod';
import { MAX_TAG_LENGTH, parseSince } from '../bookmarks';
import { SINCE_HELP } from '../bookmarks/since';

export const exportQuery = z.object({
  tag: z
    .string()
    .trim()
    .toLowerCase()
    .max(MAX_TAG_LENGTH, `Tags are at most ${MAX_TAG_LENGTH} characters.`)
    .optional()
    .transform((tag) => tag || undefined),
  since: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (!value?.trim()) return undefined;
      const date = parseSince(value);
      if (!date) ctx.addIssue({ code: 'custom', message: `since is not a date: ${SINCE_HELP}` });
      return date;
    }),
  limit: z.coerce
    .number({ message: 'limit is a whole number.' })
    .int('limit is a whole number.')
    .min(1, 'limit is at least 1.')
    .max(1_000_000)
    .optional(),
});
