/**
 * Gauges read from the database (queued jobs, active feeds) describe the one
 * shared database, not a process. If every process reported them, a sum over
 * instances would count them N times. So exactly one process reports them: the
 * holder of a PostgreSQL advisory lock. When it dies its session ends, the lock
 * is freed, and another process takes over at its next refresh. Sums across
 * instances therefore stay correct.
 */
import pg from 'pg';
import type { CachedGauge } from '../../otel/cached-gauge';
import type { Logger } from '../logging/logger';

const LOCK_KEY = 7_215_904_311; // arbitrary, fixed: "pebbling-club database gauges"

export interface DatabaseGauges {
  stop(): Promise<void>;
}

export function startDatabaseGauges(options: {
  readonly url: string;
  readonly gauges: readonly CachedGauge[];
  readonly logger: Logger;
  readonly intervalMs?: number;
}): DatabaseGauges {
  const { url, gauges, logger } = options;
  const log = logger.child({ component: 'database-gauges' });
  let client: pg.Client | undefined;
  let leader = false;
  let stopped = false;

  const lose = () => {
    leader = false;
    for (const gauge of gauges) gauge.clear();
    const old = client;
    client = undefined;
    old?.end().catch(() => {});
  };

  const tick = async () => {
    if (stopped) return;
    try {
      if (!client) {
        const fresh = new pg.Client({ connectionString: url });
        fresh.on('error', () => lose());
        await fresh.connect();
        client = fresh;
      }
      if (!leader) {
        const { rows } = await client.query<{ locked: boolean }>(
          'select pg_try_advisory_lock($1) as locked',
          [LOCK_KEY],
        );
        leader = rows[0]?.locked === true;
        if (leader) log.info('this process now reports the database gauges');
      }
      if (leader) {
        for (const gauge of gauges) await gauge.refresh();
      }
    } catch (error) {
      log.warn({ err: error }, 'could not refresh database gauges; will retry');
      lose();
    }
  };

  void tick();
  const timer = setInterval(tick, options.intervalMs ?? 15_000);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await client?.end().catch(() => {});
    },
  };
}
