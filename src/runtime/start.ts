/**
 * Starts one process of the app: web, worker, or both (the default), on the
 * configured database. Used by main.ts and by tests that need a real server.
 */
import { getTelemetry } from '../../otel/state';
import { createTaskList } from '../../tasks';
import { cronItems } from '../../tasks/cron';
import type { Config } from '../config';
import { type Database, openDatabase } from '../db/connection';
import { migrateAll } from '../db/migrate';
import { activeFeedsGauge } from '../feeds';
import type { Logger } from '../logging/logger';
import { startDatabaseGauges } from '../metrics/database-gauges';
import { createApp, createMetricsApp } from '../web/app';
import { jobsWaitingGauge } from '../worker/metrics';
import { startWorker, type Worker } from '../worker/runner';
import { type HttpServer, listen } from './http-server';

export type ProcessMode = 'all' | 'web' | 'worker';

export interface RunningProcess {
  readonly db: Database;
  readonly web?: HttpServer;
  readonly metricsServer?: HttpServer;
  readonly worker?: Worker;
  stop(): Promise<void>;
}

export async function startProcess(
  mode: ProcessMode,
  config: Config,
  logger: Logger,
): Promise<RunningProcess> {
  const db = await openDatabase(config, logger);
  const stops: Array<() => Promise<void>> = [];
  try {
    const applied = await migrateAll(db);
    if (applied.length > 0) logger.info({ applied }, 'database migrated');

    let web: HttpServer | undefined;
    let metricsServer: HttpServer | undefined;
    let worker: Worker | undefined;
    if (mode !== 'worker') {
      web = await listen(createApp({ config, logger, db }), config.port, config.host);
      stops.push(() => web!.close());
      logger.info({ url: `http://${config.host}:${web.port}/` }, 'web server listening');
    }
    const metricsPort = mode === 'worker' ? config.worker.metricsPort : config.metrics.port;
    if (config.metrics.enabled && getTelemetry().pullReader && metricsPort !== undefined) {
      metricsServer = await listen(createMetricsApp({ config, logger }), metricsPort, config.host);
      stops.push(() => metricsServer!.close(1000));
      logger.info(
        { url: `http://${config.host}:${metricsServer.port}${config.metrics.path}` },
        'metrics listening',
      );
    }
    if (mode !== 'web') {
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
      const gauges = startDatabaseGauges({
        url: db.url,
        gauges: [jobsWaitingGauge(db, Object.keys(taskList)), activeFeedsGauge(db)],
        logger,
        intervalMs: config.metrics.databaseGaugeIntervalMs,
      });
      stops.push(() => gauges.stop());
    }
    return {
      db,
      web,
      metricsServer,
      worker,
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
