import type { Knex } from 'knex';

/**
 * `poll_due_at`: when the feed's own last poll said the next one is due (its
 * backoff, or the server's Retry-After), or when Re-enable / Retry now asked
 * for one. Unlike `next_poll_at`, the scheduler's lease never moves it, so
 * feeds_overdue can tell a feed waiting as asked from one whose polls never
 * complete (src/metrics/feed-overdue.ts).
 *
 * Polled feeds start from their `next_poll_at`: for one whose polls are stuck
 * right now that is a lease up to one poll interval ahead, so it is counted
 * overdue up to one interval later than it would have been, once.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feeds', (t) => {
    t.timestamp('poll_due_at', { useTz: true }).nullable();
  });
  await knex.raw('UPDATE feeds SET poll_due_at = next_poll_at WHERE last_polled_at IS NOT NULL');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('feeds', (t) => {
    t.dropColumn('poll_due_at');
  });
}
