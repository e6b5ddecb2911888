/**
 * Entry point: `node --require ./dist/otel/register.js dist/src/main.js [all|web|worker]`.
 * SIGTERM/SIGINT/SIGHUP: stop taking requests and jobs, finish what is running,
 * stop the embedded PostgreSQL last, exit 0. A second signal exits at once.
 * (The embedded PostgreSQL has a process group of its own, so a terminal's
 * Ctrl-C reaches only this process, which stops it in its turn.)
 */
import { getTelemetry } from '../otel/state';
import { type Config, ConfigError, loadConfig } from './config';
import { launchEmbeddedPostgres } from './db/embedded';
import { createLogger, type Logger } from './logging/logger';
// Types only: the module itself loads while PostgreSQL boots (see boot()).
import type { ProcessMode, RunningProcess } from './runtime/start';
import { StartupError } from './runtime/startup-error';
// Small (node:child_process only): a child knows itself by its argument.
import { startWorkerProcesses, WORKER_CHILD_ARG } from './worker/processes';

const MODES: readonly ProcessMode[] = ['all', 'web', 'worker'];

async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'all') as ProcessMode;
  if (!MODES.includes(mode)) {
    process.stderr.write(`Unknown mode "${mode}": use one of ${MODES.join(', ')}\n`);
    process.exit(2);
  }
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel, { mode });
  // Handlers go in before starting, so a signal during start-up still ends in
  // an orderly stop (after start-up completes) rather than the default kill.
  const starting = boot(mode, config, logger);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const running = await starting.catch(() => undefined);
    await running?.stop();
    await getTelemetry()
      .shutdown()
      .catch(() => {});
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // A worker process started by another (WORKER_PROCESSES) stops with it.
  if (process.connected) process.on('disconnect', () => void shutdown('disconnect'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  // A closed terminal: the same orderly stop rather than the default sudden one.
  process.on('SIGHUP', () => void shutdown('SIGHUP'));
  // An error that escapes every handler (a stream nobody listened to, a
  // promise nobody awaited) is a bug, and bugs can often be triggered from
  // outside: one bad request must not stop the web server, the worker and the
  // embedded PostgreSQL for everyone. So it is logged with its stack and the
  // process keeps serving; requests and jobs have their own error handling,
  // and the failure stays confined to the one that hit it. A failure while
  // starting still stops the process (main().catch below).
  process.on('uncaughtException', (error, origin) => {
    logger.error({ err: error, origin }, 'uncaught exception: kept running');
  });
  process.on('unhandledRejection', (reason) => {
    logger.error({ err: reason }, 'unhandled promise rejection: kept running');
  });
  await starting;
}

/**
 * The embedded PostgreSQL starts first, as a child process; the app's modules
 * (most of start-up's CPU time) load while it boots.
 */
async function boot(mode: ProcessMode, config: Config, logger: Logger): Promise<RunningProcess> {
  const embedded = config.databaseUrl
    ? undefined
    : launchEmbeddedPostgres(config.dataDir, logger.child({ component: 'postgres' }));
  try {
    await embedded?.launched;
    const { loadModules, startProcess } = await import('./runtime/start.js');
    await loadModules(mode);
    const running = await startProcess(mode, config, logger, {
      embedded: embedded?.ready,
      workerChild: process.argv.slice(3).includes(WORKER_CHILD_ARG),
    });
    return mode === 'web' ? running : withWorkerProcesses(running, config, logger);
  } catch (error) {
    // startProcess stops the server when it fails; this covers failing before it.
    await embedded?.ready.then((db) => db.stop()).catch(() => {});
    throw error;
  }
}

/** WORKER_PROCESSES > 1: this process starts the others (src/worker/processes.ts). */
async function withWorkerProcesses(
  running: RunningProcess,
  config: Config,
  logger: Logger,
): Promise<RunningProcess> {
  if (config.worker.processes <= 1) return running;
  const children = startWorkerProcesses({
    count: config.worker.processes - 1,
    databaseUrl: running.db.url,
    metricsPort: config.worker.metricsPort,
    logger,
  });
  return {
    ...running,
    // The children first: they use the database this process may own.
    stop: () => children.stop().then(() => running.stop()),
  };
}

main().catch((error: unknown) => {
  // A StartupError says what to change in one line; anything else is a bug: its stack.
  const detail =
    error instanceof StartupError ? error.message : ((error as Error)?.stack ?? String(error));
  process.stderr.write(`pebbling-club failed to start: ${detail}\n`);
  process.exit(1);
});
