/**
 * Starts one process of the app: web, worker, or both (the default), on the
 * configured database. Used by main.ts and by tests that need a real server.
 */
import { getTelemetry } from '../../otel/state';
import type { Config } from '../config';
import { type Database, openDatabase } from '../db/connection';
import type { EmbeddedDatabase } from '../db/embedded';
import { migrateAll } from '../db/migrate';
import type { Logger } from '../logging/logger';
import { type DatabaseMetricsRuntime, startDatabaseMetrics } from '../metrics';
import type { Worker } from '../worker/runner';
import { type HttpServer, listen } from './http-server';

export type ProcessMode = 'all' | 'web' | 'worker';

export interface RunningProcess {
  readonly db: Database;
  readonly web?: HttpServer;
  readonly metricsServer?: HttpServer;
  readonly worker?: Worker;
  readonly databaseMetrics: DatabaseMetricsRuntime;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** The embedded PostgreSQL, already starting (main.ts starts it before loading this module). */
  readonly embedded?: Promise<EmbeddedDatabase>;
  /** Started by another worker process (WORKER_PROCESSES): never the metrics reporter. */
  readonly workerChild?: boolean;
}

/**
 * Loads the modules startProcess(mode) needs beyond the database, so that
 * main.ts can do this CPU work while the embedded PostgreSQL boots. The web
 * modules are not loaded by a worker process, nor the worker's by a web one.
 */
export async function loadModules(mode: ProcessMode): Promise<void> {
  await Promise.all([
    mode === 'worker' ? undefined : import('../web/app.js'),
    mode === 'web' ? undefined : workerModules(),
  ]);
}

function workerModules() {
  return Promise.all([
    import('../../tasks/index.js'),
    import('../../tasks/cron.js'),
    import('../worker/runner.js'),
  ]);
}

export async function startProcess(
  mode: ProcessMode,
  config: Config,
  logger: Logger,
  options: StartOptions = {},
): Promise<RunningProcess> {
  const db = await openDatabase(config, logger, options.embedded);
  const stops: Array<() => Promise<void>> = [];
  try {
    const applied = await migrateAll(db);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');

    let web: HttpServer | undefined;
    let metricsServer: HttpServer | undefined;
    let worker: Worker | undefined;
    if (mode !== 'worker') {
      const { createApp } = await import('../web/app.js');
      web = await listen(createApp({ config, logger, db }), config.port, config.host);
      stops.push(() => web!.close());
      logger.info({ url: `http://${config.host}:${web.port}/` }, 'web server listening');
    }
    const metricsPort = mode === 'worker' ? config.worker.metricsPort : config.metrics.port;
    if (config.metrics.enabled && getTelemetry().pullReader && metricsPort !== undefined) {
      const { createMetricsApp } = await import('../web/app.js');
      const { host } = config.metrics;
      metricsServer = await listen(createMetricsApp({ config, logger }), metricsPort, host);
      stops.push(() => metricsServer!.close(1000));
      logger.info(
        { url: `http://${host}:${metricsServer.port}${config.metrics.path}` },
        'metrics listening',
      );
    }
    if (mode !== 'web') {
      const [{ createTaskList }, { cronItems }, { startWorker }] = await workerModules();
      const taskList = createTaskList({ config, logger, db });
      worker = await startWorker({
        config,
        logger,
        db,
        taskList,
        cron: cronItems(config),
      });
      // Workers stop after the web server: requests in flight may still queue jobs.
      stops.push(() => worker!.stop());
    }
    // Every long-running process keeps the metric history, and those that
    // export metrics stand for the one reporter of the database metrics;
    // stopped last, to keep the final history.
    const databaseMetrics = await startDatabaseMetrics({
      config,
      logger,
      db,
      workerChild: options.workerChild,
    });
    stops.push(() => databaseMetrics.stop());
    return {
      db,
      web,
      metricsServer,
      worker,
      databaseMetrics,
      async stop() {
        for (const stop of stops) await stop().catch((err) => logger.warn({ err }, 'stop failed'));
        await db.close();
      },
    };
  } catch (error) {
    for (const stop of stops) await stop().catch(() => {});
    await db.close().catch(() => {});
    throw error;
  }
}
