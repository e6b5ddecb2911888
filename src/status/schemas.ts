import { z } from 'zod';

/** ?range=24h|30d; anything else is the default, 24h. */
export const statusQuery = z.object({
  range: z.enum(['24h', '30d']).catch('24h'),
});

export const feedIdParam = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

export const retryForm = z.object({
  range: z.enum(['24h', '30d']).catch('24h'),
});
