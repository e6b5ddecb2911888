/**
 * Who may read what. The reader shows only feeds the user follows: any other
 * feed, item or category answers 404 (their existence is none of the
 * user's business), for the pages, the API and the poll button alike.
 */
import type { Knex } from 'knex';
import { notFound } from '../errors';

export async function followsFeed(knex: Knex, userId: number, feedId: number): Promise<boolean> {
  const row = await knex('feed_subscriptions')
    .where({ user_id: userId, feed_id: feedId })
    .first('feed_id');
  return row !== undefined;
}

export async function ownsCategory(
  knex: Knex,
  userId: number,
  categoryId: number,
): Promise<boolean> {
  const row = await knex('feed_categories').where({ id: categoryId, user_id: userId }).first('id');
  return row !== undefined;
}

export async function requireFollowedFeed(knex: Knex, userId: number, feedId: number) {
  if (!(await followsFeed(knex, userId, feedId))) throw notFound('You do not follow that feed.');
}

export async function requireOwnCategory(knex: Knex, userId: number, categoryId: number) {
  if (!(await ownsCategory(knex, userId, categoryId))) {
    throw notFound('There is no such category among yours.');
  }
}
