/** Shared set-up for the reader tests: feeds, subscriptions and items made directly. */
import type { Knex } from 'knex';

let counter = 0;

export async function aFeed(knex: Knex, fields: { url?: string; title?: string } = {}) {
  counter += 1;
  const [row] = await knex('feeds')
    .insert({
      url: fields.url ?? `https://feeds.example/${counter}.xml`,
      title: fields.title ?? `Feed ${counter}`,
    })
    .returning('id');
  return row.id as number;
}

export async function follow(
  knex: Knex,
  userId: number,
  feedId: number,
  categoryId: number | null = null,
) {
  await knex('feed_subscriptions').insert({
    user_id: userId,
    feed_id: feedId,
    category_id: categoryId,
  });
}

export interface ItemSpec {
  readonly date: Date | null;
  readonly firstSeenAt?: Date;
  readonly title?: string;
  readonly link?: string;
}

/** Inserts items in the order given (ids ascending); answers their ids. */
export async function addItems(
  knex: Knex,
  feedId: number,
  specs: readonly ItemSpec[],
): Promise<number[]> {
  const ids: number[] = [];
  for (const spec of specs) {
    counter += 1;
    const [row] = await knex('feed_items')
      .insert({
        feed_id: feedId,
        guid: `item-${counter}`,
        date: spec.date,
        first_seen_at: spec.firstSeenAt ?? new Date(),
        title: spec.title ?? `Item ${counter}`,
        link: spec.link ?? `https://items.example/${counter}`,
      })
      .returning('id');
    ids.push(row.id as number);
  }
  return ids;
}
