/**
 * The single reporter of the database metrics. Every long-running process
 * (web, worker or both) runs one; among those that export metrics (a running
 * metric reader: a Prometheus scrape or an OTLP push) and are not a worker's
 * child process, whichever holds a PostgreSQL advisory lock on its own
 * connection reports, the others report nothing. A process that exports
 * nothing, or whose port nobody scrapes, must not hold that lock: the series
 * would vanish from every export while it runs.
 *
 * Holding the lock is not taken on trust: each collection proves it in the
 * statement that reads the numbers (readings.ts). A session that died — a
 * PostgreSQL restart, pg_terminate_backend, a failover, a network cut —
 * cannot prove anything, so its process reports nothing from that moment.
 *
 * Hand-over: Prometheus keeps a series that left a target until that target's
 * next scrape. So a new reporter starts METRICS_REPORTER_HANDOVER seconds
 * after the last export of any reporter (recorded in metric_reporter by the
 * proving statement); set it to at least the scrape interval and the old and
 * new series never overlap. The metrics are absent in between, never doubled.
 *
 * The history (moving events into totals and rollups, sampling the queue for
 * the status page, retention) is kept by whichever process holds a second
 * lock, the housekeeping one, which every process may take, exporting or
 * not: it must go on while any process runs.
 */
import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import pg from 'pg';
import { databaseMetrics } from '../../otel/database-metrics';
import type { Logger } from '../logging/logger';
import {
  HOUSEKEEPING_LOCK_KEY,
  REPORTER_LOCK_KEY,
  type ReadingOptions,
  type ReadingRow,
  readingStatement,
  readingValues,
  toMetricData,
} from './readings';
import { compactEvents, type HistoryRetention, pruneRollups, sampleGauges } from './rollups';

export interface MetricsReporter {
  /** True while this process holds the lock (it may still be waiting to hand over). */
  isLeader(): boolean;
  /** True while this process keeps the history (the housekeeping lock). */
  isHousekeeper(): boolean;
  /** One round of election and housekeeping now (tests; the timer does it otherwise). */
  tick(): Promise<void>;
  stop(): Promise<void>;
}

export interface ReporterOptions {
  /**
   * Whether this process stands for reporter: only one whose metrics reach
   * Prometheus or a collector (it exports metrics, and is not a worker child
   * whose port may not be scraped). Every process keeps the history.
   */
  readonly candidate: boolean;
  readonly url: string;
  readonly knex: Knex;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly handoverSeconds: number;
  readonly retention: HistoryRetention;
  readonly readings: ReadingOptions;
}

/** Time limits for the reporter's own connection: a slow database never stalls a scrape. */
const STATEMENT_TIMEOUT_MS = 2000;
const QUERY_TIMEOUT_MS = 4000;

export function startMetricsReporter(options: ReporterOptions): MetricsReporter {
  const log = options.logger.child({ component: 'metrics-reporter' });
  const holder = `${process.pid}:${randomUUID()}`;
  const statement = readingStatement(options.readings.idLabels);
  let client: pg.Client | undefined;
  let leader = false;
  let housekeeper = false;
  let reportFrom = Number.POSITIVE_INFINITY;
  let stopped = false;
  let warned = 0;

  const lose = (reason: string) => {
    if (leader) log.warn({ reason }, 'no longer the metrics reporter: reporting nothing');
    leader = false;
    housekeeper = false;
    reportFrom = Number.POSITIVE_INFINITY;
    const old = client;
    client = undefined;
    old?.end().catch(() => {});
  };

  const connect = async (): Promise<pg.Client> => {
    const fresh = new pg.Client({
      connectionString: options.url,
      application_name: 'pebbling-club metrics reporter',
      statement_timeout: STATEMENT_TIMEOUT_MS,
      query_timeout: QUERY_TIMEOUT_MS,
      keepAlive: true,
    });
    fresh.on('error', (err) => {
      if (client === fresh) lose(`connection error: ${err.message}`);
    });
    fresh.on('end', () => {
      if (client === fresh) lose('connection ended');
    });
    await fresh.connect();
    return fresh;
  };

  const elect = async (session: pg.Client) => {
    const { rows } = await session.query<{ locked: boolean; wait: number }>(
      `SELECT pg_try_advisory_lock($1) AS locked,
              CASE WHEN exported_at IS NULL THEN 0
                   ELSE greatest(0, extract(epoch FROM exported_at - now()) + $2)::float8 END AS wait
         FROM metric_reporter WHERE id = 1`,
      [REPORTER_LOCK_KEY, options.handoverSeconds],
    );
    const row = rows[0];
    if (!row?.locked) return;
    leader = true;
    reportFrom = Date.now() + row.wait * 1000;
    log.info({ handoverSeconds: Math.round(row.wait) }, 'this process is now the metrics reporter');
  };

  const keepHouse = async (session: pg.Client) => {
    const { rows } = await session.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock($1) AS locked',
      [HOUSEKEEPING_LOCK_KEY],
    );
    housekeeper = rows[0]?.locked === true;
  };

  let ticking: Promise<void> | undefined;
  const tick = () => {
    ticking ??= round().finally(() => {
      ticking = undefined;
    });
    return ticking;
  };

  const round = async () => {
    if (stopped) return;
    try {
      client ??= await connect();
      if (!housekeeper) await keepHouse(client);
      if (options.candidate && !leader) await elect(client);
    } catch (error) {
      log.warn({ err: error }, 'metrics reporter election failed; will retry');
      lose('election failed');
      return;
    }
    if (!housekeeper) return;
    try {
      await compactEvents(options.knex);
      await sampleGauges(options.knex);
      await pruneRollups(options.knex, options.retention);
    } catch (error) {
      log.warn({ err: error }, 'metric history upkeep failed; will retry');
    }
  };

  const collect = async () => {
    const session = client;
    if (!leader || !session || Date.now() < reportFrom) return [];
    try {
      const { rows } = await session.query<ReadingRow>(
        statement,
        readingValues(holder, options.readings),
      );
      const data = toMetricData(rows, options.readings);
      if (data.length === 0) lose('the lock could not be proven');
      return data;
    } catch (error) {
      // Rate-limited: a scrape every few seconds must not flood the log.
      if (Date.now() - warned > 60_000) {
        warned = Date.now();
        log.warn({ err: error }, 'database metrics could not be read: reporting none');
      }
      // A statement that hit its time limit leaves the session (and the lock)
      // as it was; anything else may not have, so the lock is given up.
      const timedOut = (error as { code?: string }).code === '57014';
      if (!timedOut && client === session) lose('reading failed');
      return [];
    }
  };

  const detach = databaseMetrics.attach(collect);
  const timer = setInterval(() => void tick(), options.intervalMs);
  timer.unref();
  return {
    isLeader: () => leader,
    isHousekeeper: () => housekeeper,
    tick,
    async stop() {
      stopped = true;
      clearInterval(timer);
      detach();
      const old = client;
      client = undefined;
      leader = false;
      housekeeper = false;
      await old?.end().catch(() => {});
    },
  };
}
