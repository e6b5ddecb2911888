/**
 * The one place that reads process.env (after the `.env` file: env-file.ts).
 * Everything else receives a frozen Config built here, so a bad value is
 * caught once, at start, with a message that names the variable and what it
 * accepts.
 */
import path from 'node:path';
import { loadEnvFile } from './env-file';
import { type EnvReader, readEnv } from './reader';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface Config {
  readonly port: number;
  readonly host: string;
  /** Unset means: run an embedded PostgreSQL under dataDir. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly logLevel: LogLevel;
  readonly publicUrl: string;
  readonly secretKey: string | undefined;
  readonly allowUserRegistration: boolean;
  /** Ignored values of standard OTEL_* variables, logged once at start (never fatal). */
  readonly warnings: readonly string[];
  readonly worker: {
    readonly concurrency: number;
    readonly metricsPort: number;
    /** How often each worker writes its heartbeat. */
    readonly heartbeatIntervalMs: number;
    /** A worker silent this long is dead: its locked jobs are unlocked for others. */
    readonly staleAfterMs: number;
    /** Jobs fetched (and locked) per query by graphile-worker's local queue; below 2 = one at a time. */
    readonly localQueueSize: number;
    /** Completions (and failures) gathered this long into one query; -1 = one query each. */
    readonly completeJobBatchDelayMs: number;
    readonly failJobBatchDelayMs: number;
    /** Processes that run jobs: this one and processes - 1 it starts (src/worker/processes.ts). */
    readonly processes: number;
  };
  readonly metrics: {
    readonly enabled: boolean;
    readonly path: string;
    /** Serve /metrics on its own listener instead of the app's port. */
    readonly port: number | undefined;
    /** Address of that listener (and of a worker's). */
    readonly host: string;
    readonly authToken: string | undefined;
    readonly allowedNetworks: readonly string[];
    readonly idLabels: boolean;
    readonly cardinalityLimit: number;
    readonly durationBuckets: readonly number[];
    readonly scopeLabels: boolean;
    readonly targetInfo: boolean;
    /** How often the metrics reporter runs its election and keeps the history. */
    readonly databaseGaugeIntervalMs: number;
    /** A new metrics reporter waits this long after the last one exported. */
    readonly reporterHandoverSeconds: number;
  };
  readonly fetch: {
    readonly allowPrivateNetworks: boolean;
    readonly timeoutMs: number;
    readonly maxBytes: number;
    readonly userAgent: string;
  };
  readonly feeds: {
    readonly pollIntervalMinutes: number;
    readonly maxItems: number;
    readonly maxErrors: number;
    readonly perHostConcurrency: number;
  };
  readonly reader: {
    /** A feed polled this recently is not polled again by "Poll now". */
    readonly pollNowMinIntervalSeconds: number;
  };
  readonly status: {
    /** Per-hour history is kept this many days (the 30-day charts). */
    readonly historyDays: number;
    /** Per-minute history is kept this many hours (the 24-hour charts). */
    readonly minuteHistoryHours: number;
  };
  readonly imports: {
    readonly maxBytes: number;
    /** Records written per transaction (and between progress updates). */
    readonly batchSize: number;
  };
  readonly security: {
    /** Reverse proxies in front whose X-Forwarded-For/-Proto/-Host are believed; 0: none. */
    readonly trustProxyHops: number;
    /** statement_timeout of the app's own database connections; 0: none. */
    readonly statementTimeoutMs: number;
    /** Failed logins to one account from one address before it is locked there. */
    readonly loginMaxFailures: number;
    /** Failed logins from one address (any account) per hour before it is locked. */
    readonly loginMaxFailuresPerAddress: number;
    readonly loginLockMinutes: number;
    readonly registrationsPerAddressPerHour: number;
  };
  readonly quotas: {
    /** Feeds one user may follow. */
    readonly feedsPerUser: number;
    /** Feeds one user may have polled on demand (POST /feeds/fetch, Re-enable, Retry now) per hour. */
    readonly feedFetchesPerHour: number;
    /** Bookmarked pages one user may have fetched again on demand ("try again") per hour. */
    readonly bookmarkRefetchesPerHour: number;
    /** Items kept per feed; older ones no longer in the feed are deleted. */
    readonly feedItemsRetained: number;
    /** Hours a failed import keeps its upload (for a retry) before it is deleted. */
    readonly failedUploadRetentionHours: number;
  };
}

export { ConfigError } from './reader';

const DEFAULT_DURATION_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];

/** From `env`; by default from the process's environment and its `.env` file (env-file.ts). */
export function loadConfig(env?: NodeJS.ProcessEnv): Config {
  if (env === undefined) loadEnvFile();
  const r: EnvReader = readEnv(env ?? process.env);
  const port = r.int('PORT', 3000, { min: 0, max: 65535 });
  const workerConcurrency = r.int('WORKER_CONCURRENCY', 4, { min: 1, max: 64 });
  const host = r.string('HOST', '127.0.0.1');
  const metricsEnabled = r.bool('METRICS_ENABLED', true);
  // The standard names of the Prometheus listener; the project's own
  // variables (METRICS_PORT, WORKER_METRICS_PORT) win when both are set.
  const prometheusPort = r.lenientInt('OTEL_EXPORTER_PROMETHEUS_PORT', { min: 0, max: 65535 });
  const config: Config = {
    port,
    host,
    databaseUrl: r.optionalUrl('DATABASE_URL', ['postgres:', 'postgresql:']),
    dataDir: path.resolve(r.string('DATA_DIR', './.data')),
    logLevel: r.oneOf('LOG_LEVEL', 'info', [
      'fatal',
      'error',
      'warn',
      'info',
      'debug',
      'trace',
      'silent',
    ]),
    publicUrl: r.optionalUrl('PUBLIC_URL', ['http:', 'https:']) ?? `http://${host}:${port}`,
    secretKey: r.optionalString('SECRET_KEY', { minLength: 32 }),
    allowUserRegistration: r.bool('ALLOW_USER_REGISTRATION', true),
    warnings: r.warnings,
    worker: {
      concurrency: workerConcurrency,
      metricsPort: r.int('WORKER_METRICS_PORT', prometheusPort ?? 9464, { min: 0, max: 65535 }),
      heartbeatIntervalMs: r.int('WORKER_HEARTBEAT_INTERVAL_MS', 5000, { min: 100, max: 600_000 }),
      staleAfterMs: r.int('WORKER_STALE_AFTER_MS', 30_000, { min: 500, max: 86_400_000 }),
      localQueueSize: r.int('WORKER_LOCAL_QUEUE_SIZE', workerConcurrency + 1, {
        min: 0,
        max: 1000,
      }),
      completeJobBatchDelayMs: r.int('WORKER_COMPLETE_JOB_BATCH_DELAY_MS', 0, {
        min: -1,
        max: 10_000,
      }),
      failJobBatchDelayMs: r.int('WORKER_FAIL_JOB_BATCH_DELAY_MS', 0, { min: -1, max: 10_000 }),
      processes: r.int('WORKER_PROCESSES', 1, { min: 1, max: 64 }),
    },
    metrics: {
      enabled: metricsEnabled,
      path: r.path('METRICS_PATH', '/metrics'),
      port: r.optionalInt('METRICS_PORT', { min: 0, max: 65535 }) ?? prometheusPort,
      host: r.string('OTEL_EXPORTER_PROMETHEUS_HOST', host),
      authToken: r.optionalString('METRICS_AUTH_TOKEN', { minLength: 16 }),
      allowedNetworks: r.cidrList('METRICS_ALLOWED_NETWORKS'),
      idLabels: r.bool('METRICS_ID_LABELS', false),
      cardinalityLimit: r.int('METRICS_CARDINALITY_LIMIT', 2000, { min: 10, max: 1_000_000 }),
      durationBuckets: r.numberList('METRICS_DURATION_BUCKETS', DEFAULT_DURATION_BUCKETS),
      scopeLabels: r.bool('METRICS_SCOPE_LABELS', false),
      targetInfo: r.bool('METRICS_TARGET_INFO', true),
      databaseGaugeIntervalMs:
        r.int('METRICS_DATABASE_GAUGE_INTERVAL', 15, { min: 1, max: 3600 }) * 1000,
      reporterHandoverSeconds: r.int('METRICS_REPORTER_HANDOVER', 60, { min: 0, max: 3600 }),
    },
    fetch: {
      allowPrivateNetworks: r.bool('FETCH_ALLOW_PRIVATE_NETWORKS', false),
      timeoutMs: r.int('FETCH_TIMEOUT_MS', 10_000, { min: 100, max: 300_000 }),
      maxBytes: r.bytes('FETCH_MAX_BYTES', 5 * 1024 * 1024),
      userAgent: r.string(
        'FETCH_USER_AGENT',
        'pebbling-club/0.1 (+https://github.com/pebbling-club; self-hosted bookmarks and feeds)',
      ),
    },
    feeds: {
      pollIntervalMinutes: r.int('FEED_POLL_INTERVAL', 30, { min: 1, max: 24 * 60 }),
      maxItems: r.int('FEED_MAX_ITEMS', 100, { min: 1, max: 10_000 }),
      maxErrors: r.int('FEED_MAX_ERRORS', 10, { min: 1, max: 1000 }),
      perHostConcurrency: r.int('FEED_PER_HOST_CONCURRENCY', 2, { min: 1, max: 64 }),
    },
    reader: {
      pollNowMinIntervalSeconds: r.int('READER_POLL_NOW_MIN_INTERVAL', 30, { min: 0, max: 86_400 }),
    },
    status: {
      historyDays: r.int('STATUS_HISTORY_DAYS', 35, { min: 1, max: 3660 }),
      minuteHistoryHours: r.int('STATUS_MINUTE_HISTORY_HOURS', 48, { min: 1, max: 24 * 31 }),
    },
    imports: {
      maxBytes: r.bytes('IMPORT_MAX_BYTES', 50 * 1024 * 1024),
      batchSize: r.int('IMPORT_BATCH_SIZE', 1000, { min: 1, max: 10_000 }),
    },
    security: {
      trustProxyHops: trustProxyHops(r, env ?? process.env),
      statementTimeoutMs: r.int('DATABASE_STATEMENT_TIMEOUT_MS', 15_000, {
        min: 0,
        max: 3_600_000,
      }),
      loginMaxFailures: r.int('LOGIN_MAX_FAILURES', 5, { min: 1, max: 1000 }),
      loginMaxFailuresPerAddress: r.int('LOGIN_MAX_FAILURES_PER_ADDRESS', 50, {
        min: 1,
        max: 100_000,
      }),
      loginLockMinutes: r.int('LOGIN_LOCK_MINUTES', 15, { min: 1, max: 24 * 60 }),
      registrationsPerAddressPerHour: r.int('REGISTRATIONS_PER_ADDRESS', 10, {
        min: 1,
        max: 100_000,
      }),
    },
    quotas: {
      feedsPerUser: r.int('FEEDS_MAX_PER_USER', 1000, { min: 1, max: 1_000_000 }),
      feedFetchesPerHour: r.int('FEED_FETCHES_PER_HOUR', 300, { min: 1, max: 1_000_000 }),
      bookmarkRefetchesPerHour: r.int('BOOKMARK_REFETCHES_PER_HOUR', 60, {
        min: 1,
        max: 1_000_000,
      }),
      feedItemsRetained: r.int('FEED_ITEMS_RETAINED', 1000, { min: 10, max: 1_000_000 }),
      failedUploadRetentionHours: r.int('IMPORT_FAILED_UPLOAD_HOURS', 72, {
        min: 1,
        max: 24 * 365,
      }),
    },
  };
  r.finish();
  return deepFreeze(config);
}

/**
 * TRUST_PROXY: false (default), true (one proxy in front) or the number of
 * proxies. Only the last that many X-Forwarded-For entries are believed: the
 * ones before them are whatever the client sent.
 */
function trustProxyHops(r: EnvReader, env: NodeJS.ProcessEnv): number {
  if (/^\s*\d+\s*$/.test(env.TRUST_PROXY ?? '')) {
    return r.int('TRUST_PROXY', 0, { min: 0, max: 10 });
  }
  const expected = 'true or false (also yes/no, on/off), or the number of proxies from 0 to 10';
  return r.bool('TRUST_PROXY', false, expected) ? 1 : 0;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
