import { type Config, loadConfig } from '../../src/config';
import { createLogger } from '../../src/logging/logger';
import { type ProcessMode, type RunningProcess, startProcess } from '../../src/runtime/start';
import { createTestDatabase, type TestDatabase } from './database';

export interface TestApp {
  readonly baseUrl: string;
  readonly config: Config;
  readonly db: TestDatabase;
  readonly running: RunningProcess;
  stop(): Promise<void>;
}

/**
 * The real app (web + worker by default) in this process, on its own database
 * and a free port on 127.0.0.1. Telemetry is the one the test process booted
 * with (ava loads otel/register first), so metrics are real. objection's models
 * are global: one in-process app per test file (spawn more with spawnApp).
 */
export async function startTestApp(
  env: Record<string, string> = {},
  mode: ProcessMode = 'all',
): Promise<TestApp> {
  const db = await createTestDatabase({ bindModels: false });
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    WORKER_METRICS_PORT: '0',
    DATABASE_URL: db.url,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    // Every client of a test registers from 127.0.0.1: room for a file's worth of
    // accounts (test/security/throttles.test.ts checks the real limit).
    REGISTRATIONS_PER_ADDRESS: '1000',
    ...env,
  });
  const running = await startProcess(mode, config, createLogger(config.logLevel));
  const port = running.web?.port ?? running.metricsServer?.port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    config,
    db,
    running,
    async stop() {
      await running.stop();
      await db.close();
    },
  };
}
