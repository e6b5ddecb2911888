import type pg from 'pg';

/**
 * Errors that mean "the server, or this connection to it, is gone for now" (stopped, restarting,
 * full), as opposed to a wrong password or database, which retrying won't fix.
 */
const TRANSIENT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up or shutting down)
  '53300', // too_many_connections
]);

export function isTransientConnectError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  if (typeof code === 'string' && TRANSIENT_CODES.has(code)) return true;
  const message = String((error as { message?: unknown })?.message ?? '');
  return /Connection terminated|timeout exceeded when trying to connect/i.test(message);
}

const MAX_DELAY_MS = 2000;

/**
 * Makes the pool's promise-style connect() wait out a database outage instead
 * of failing, until the pool is closing. For graphile-worker's pool: it does
 * not await its own completeJob/failJob and does not retry them on a refused
 * connection, so during an outage the rejection went unhandled (the process
 * exited) and the job stayed locked by a live worker for 4 hours. Waiting
 * here turns both into a pause that ends when the server answers again.
 * The callback form (graphile's LISTEN client, which reconnects by itself)
 * is left alone.
 */
export function waitOutOutages(
  pool: pg.Pool,
  options: { isClosing: () => boolean; onWaiting: (error: Error) => void },
): void {
  const connect = pool.connect.bind(pool) as (
    callback?: (...args: unknown[]) => void,
  ) => Promise<pg.PoolClient> | undefined;
  const patched = async (): Promise<pg.PoolClient> => {
    let delay = 100;
    for (let attempt = 0; ; attempt++) {
      try {
        return (await connect())!;
      } catch (error) {
        if (options.isClosing() || !isTransientConnectError(error)) throw error;
        if (attempt === 0) options.onWaiting(error as Error);
        await new Promise((resolve) => setTimeout(resolve, delay));
        delay = Math.min(delay * 2, MAX_DELAY_MS);
      }
    }
  };
  pool.connect = ((callback?: (...args: unknown[]) => void) =>
    callback ? connect(callback) : patched()) as typeof pool.connect;
}
