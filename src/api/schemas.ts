/** JSON bodies of the bookmarks API: the same field rules as the forms. */
import { z } from 'zod';
import { descriptionField, listQuery, tagsField, titleField, urlField } from '../bookmarks';

const privateField = z.boolean({ error: 'private is true or false.' });

/** POST: a URL and whatever else is known; saving a known URL updates it. */
export const createBody = z.object({
  url: urlField,
  title: titleField.optional(),
  description: descriptionField.optional(),
  tags: tagsField.optional(),
  private: privateField.optional(),
});

/** PUT: the whole bookmark; what is left out is cleared. */
export const replaceBody = z.object({
  url: urlField,
  title: titleField.default(''),
  description: descriptionField.default(''),
  tags: tagsField.default([]),
  private: privateField.default(false),
});

/** PATCH: only what is given changes. */
export const patchBody = z.object({
  url: urlField.optional(),
  title: titleField.optional(),
  description: descriptionField.optional(),
  tags: tagsField.optional(),
  private: privateField.optional(),
});

/** GET /bookmarks/check?url=: do I have this page? */
export const checkQuery = z.object({
  url: z.preprocess((v) => (Array.isArray(v) ? v[0] : v), urlField),
});

export const apiListQuery = listQuery.extend({
  user: z
    .preprocess((v) => (Array.isArray(v) ? v[0] : v === '' ? undefined : v), z.string().max(150))
    .optional(),
});
