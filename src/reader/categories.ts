/**
 * Categories (folders) for followed feeds, per user. A feed is in at most one
 * of a user's categories; the same shared feed may be in different ones for
 * different users. The database holds the rule that a subscription is filed
 * only under its own user's category (migration 008).
 */
import type { Knex } from 'knex';
import { notFound, validationFailed } from '../errors';
import { requireOwnCategory } from './policies';

export interface Category {
  readonly id: number;
  readonly title: string;
  readonly feeds: number;
}

interface CategoryRow {
  id: number;
  title: string;
  feeds: number;
}

export async function listCategories(knex: Knex, userId: number): Promise<Category[]> {
  const { rows } = await knex.raw<{ rows: CategoryRow[] }>(
    `select c.id, c.title,
            (select count(*) from feed_subscriptions s where s.user_id = c.user_id
               and s.category_id = c.id)::int as feeds
       from feed_categories c where c.user_id = ?
      order by lower(c.title), c.id`,
    [userId],
  );
  return rows;
}

function isUniqueViolation(error: unknown): boolean {
  const native = (error as { nativeError?: unknown })?.nativeError ?? error;
  return (native as { code?: unknown })?.code === '23505';
}

const taken = (title: string) => validationFailed(`You already have a category named "${title}".`);

export async function createCategory(
  knex: Knex,
  input: { readonly userId: number; readonly title: string },
): Promise<Category> {
  try {
    const [row] = await knex('feed_categories')
      .insert({ user_id: input.userId, title: input.title })
      .returning(['id', 'title']);
    return { id: row.id, title: row.title, feeds: 0 };
  } catch (error) {
    if (isUniqueViolation(error)) throw taken(input.title);
    throw error;
  }
}

export async function renameCategory(
  knex: Knex,
  input: { readonly userId: number; readonly categoryId: number; readonly title: string },
): Promise<Category> {
  await requireOwnCategory(knex, input.userId, input.categoryId);
  try {
    await knex('feed_categories')
      .where({ id: input.categoryId, user_id: input.userId })
      .update({ title: input.title, updated_at: knex.fn.now() });
  } catch (error) {
    if (isUniqueViolation(error)) throw taken(input.title);
    throw error;
  }
  const all = await listCategories(knex, input.userId);
  return all.find((category) => category.id === input.categoryId)!;
}

/** Deletes the category; its feeds stay followed, uncategorised. */
export async function deleteCategory(
  knex: Knex,
  input: { readonly userId: number; readonly categoryId: number },
): Promise<void> {
  const deleted = await knex('feed_categories')
    .where({ id: input.categoryId, user_id: input.userId })
    .delete();
  if (deleted === 0) throw notFound('There is no such category among yours.');
}

/** Files a followed feed under one of the user's categories, or none (null). */
export async function setFeedCategory(
  knex: Knex,
  input: { readonly userId: number; readonly feedId: number; readonly categoryId: number | null },
): Promise<void> {
  if (input.categoryId !== null) await requireOwnCategory(knex, input.userId, input.categoryId);
  const updated = await knex('feed_subscriptions')
    .where({ user_id: input.userId, feed_id: input.feedId })
    .update({ category_id: input.categoryId });
  if (updated === 0) throw notFound('You do not follow that feed.');
}
