/**
 * How fast this machine inserts right now: the same bookmarks, as a plain
 * multi-row INSERT … SELECT unnest(…) from Node into a copy of the bookmarks
 * table (its columns and indexes, no foreign keys, no tags). This is the
 * ceiling an import can approach (~57 000 rows/s on a quiet 2-core machine
 * here), measured in the same minute as the import, so the import's share
 * of it says something even when the machine is busy.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';

export async function rawInsertRate(knex: Knex, count: number, batch = 1000): Promise<number> {
  await knex.raw('DROP TABLE IF EXISTS bench_raw_insert');
  await knex.raw('CREATE TABLE bench_raw_insert (LIKE bookmarks INCLUDING ALL)');
  const started = performance.now();
  for (let start = 0; start < count; start += batch) {
    const urls: string[] = [];
    const hashes: string[] = [];
    const titles: string[] = [];
    const dates: string[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const url = `https://site${i % 2000}.example.com/articles/${i}-raw?id=${i}`;
      urls.push(url);
      hashes.push(createHash('sha256').update(url).digest('hex'));
      titles.push(`Article ${i}`);
      dates.push(new Date(1_400_000_000_000 + i * 3_000_000).toISOString());
    }
    await knex.raw(
      `INSERT INTO bench_raw_insert (owner_id, url, unique_hash, title, created_at, updated_at)
       SELECT 1, u, h, t, d, d FROM unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[]) AS x(u, h, t, d)`,
      [urls, hashes, titles, dates],
    );
  }
  const rate = count / ((performance.now() - started) / 1000);
  await knex.raw('DROP TABLE bench_raw_insert');
  return rate;
}
