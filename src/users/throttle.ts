/**
 * Failed-login throttle kept in PostgreSQL, so it holds across every web
 * process: after MAX_FAILURES failures for one key (a username, or a client
 * address) within WINDOW, that key is refused until the window passes.
 */
import type { Knex } from 'knex';

const MAX_FAILURES = 5;
const WINDOW_SECONDS = 15 * 60;

export async function isThrottled(
  knex: Knex,
  keys: readonly string[],
): Promise<number | undefined> {
  const row = await knex('login_failures')
    .whereIn('key', keys as string[])
    .andWhere('failures', '>=', MAX_FAILURES)
    .andWhereRaw(`window_start > now() - make_interval(secs => ?)`, [WINDOW_SECONDS])
    .max({ until: knex.raw(`window_start + make_interval(secs => ?)`, [WINDOW_SECONDS]) })
    .first();
  const until = row?.until as Date | null | undefined;
  return until ? Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000)) : undefined;
}

export async function recordFailure(knex: Knex, keys: readonly string[]): Promise<void> {
  for (const key of keys) {
    await knex.raw(
      `insert into login_failures (key, failures, window_start) values (?, 1, now())
       on conflict (key) do update set
         failures = case when login_failures.window_start > now() - make_interval(secs => ?)
                         then login_failures.failures + 1 else 1 end,
         window_start = case when login_failures.window_start > now() - make_interval(secs => ?)
                             then login_failures.window_start else now() end`,
      [key, WINDOW_SECONDS, WINDOW_SECONDS],
    );
  }
}

export async function clearFailures(knex: Knex, keys: readonly string[]): Promise<void> {
  await knex('login_failures')
    .whereIn('key', keys as string[])
    .delete();
}
