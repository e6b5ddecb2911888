import { z } from 'zod';

const yes = /^(1|true|on|yes)$/i;

/** Options of an upload: form fields (/import), multipart fields or query parameters (API). */
export const importOptions = z.object({
  duplicates: z
    .enum(['skip', 'overwrite'], { message: 'duplicates is "skip" or "overwrite".' })
    .default('skip'),
  tags: z.string().max(2000, 'Tags are at most 2000 characters.').default(''),
  private: z
    .union([z.boolean(), z.string()])
    .optional()
    .transform((value) => value === true || (typeof value === 'string' && yes.test(value))),
});

export type ImportOptionsInput = z.infer<typeof importOptions>;

export const jobIdForm = z.object({
  id: z.coerce.number({ message: 'Which import?' }).int().positive('Which import?'),
});

export const jobIdParam = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

export const listQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
