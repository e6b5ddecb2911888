import type { Knex } from 'knex';

/**
 * Runs `action` once the transaction commits, or now when there is none.
 * Metrics count committed changes only: a rolled-back write never counts.
 */
export function afterCommit(trx: Knex.Transaction | undefined | null, action: () => void): void {
  if (!trx?.isTransaction) {
    action();
    return;
  }
  trx.executionPromise.then(action, () => {
    // Rolled back: nothing happened, nothing to count.
  });
}
