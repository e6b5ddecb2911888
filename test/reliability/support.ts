/**
 * Shared pieces of the fault tests: a PostgreSQL of their own (so it can be
 * stopped), app processes to break, feeds to poll, and small waiting helpers.
 */
import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { Model } from 'objection';
import pg from 'pg';
import { startScratchPostgres } from '../../src/db/embedded';
import { migrateAll } from '../../src/db/migrate';
import { projectRoot } from '../../src/paths';
import { freePort } from '../helpers/ports';
import { type SpawnedApp, spawnApp, waitForListening } from '../helpers/process';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds; false when the time ran out. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  intervalMs = 200,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return true;
    } catch {
      // not yet: the thing we wait for may still be down
    }
    if (Date.now() > until) return false;
    await sleep(intervalMs);
  }
}

/** Like waitUntil, but throws with `what` when the time runs out; answers the ms it took. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<number> {
  const started = Date.now();
  if (!(await waitUntil(check, timeoutMs))) {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
  }
  return Date.now() - started;
}

export interface DedicatedPostgres {
  /** The app's database. */
  readonly url: string;
  /** The `postgres` database, for admin queries. */
  readonly adminUrl: string;
  /** Models bound to the app's database, for factories in the test process. */
  readonly knex: Knex;
  /** Fast shutdown (SIGINT): every session is ended, new connections are refused. */
  stop(): Promise<void>;
  start(): Promise<void>;
  destroy(): Promise<void>;
}

/**
 * An embedded PostgreSQL for one test file, separate from the one `npm test`
 * shares between files, so that stopping it breaks nobody else.
 */
export async function startDedicatedPostgres(): Promise<DedicatedPostgres> {
  const parentDir = path.join(projectRoot, '.test-data');
  fs.mkdirSync(parentDir, { recursive: true });
  const server = await startScratchPostgres({
    port: await freePort(),
    parentDir,
    maxConnections: 200,
  });
  const url = `postgres://postgres:postgres@127.0.0.1:${server.port}/pebbling`;
  const admin = new pg.Client({ connectionString: server.adminUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE pebbling');
  await admin.end();
  const knex = quietKnex(url);
  await migrateAll({ url, knex });
  Model.knex(knex);
  return {
    url,
    adminUrl: server.adminUrl,
    knex,
    stop: () => server.stop(),
    start: () => server.start(),
    async destroy() {
      await knex.destroy().catch(() => {});
      await server.destroy();
    },
  };
}

const quiet = () => {};

/** knex without its console warnings: the fault tests break its connections on purpose. */
export function quietKnex(url: string): Knex {
  return knexFactory({
    client: 'pg',
    connection: url,
    pool: { min: 0, max: 5 },
    log: { warn: quiet, error: quiet, debug: quiet, deprecate: quiet },
  });
}

export interface AppProcess {
  readonly app: SpawnedApp;
  /** http://127.0.0.1:port of the web server, or of the worker's metrics listener. */
  readonly url: string;
}

/** Every process spawned here, so that a failed start leaves no orphan (see stopAll). */
const spawned = new Set<SpawnedApp>();

function track(app: SpawnedApp): SpawnedApp {
  spawned.add(app);
  void app.exited.then(() => spawned.delete(app));
  return app;
}

/** Kills whatever this file spawned and is still running: for test.after.always. */
export async function stopAll(): Promise<void> {
  const running = [...spawned];
  for (const app of running) app.child.kill('SIGKILL');
  await Promise.all(running.map((app) => app.exited));
}

/** A web process (`main.js web`) on DATABASE_URL=url. */
export async function spawnWeb(url: string, env: Record<string, string> = {}): Promise<AppProcess> {
  const app = track(spawnApp(['web'], { DATABASE_URL: url, ...env }));
  return { app, url: await waitForListening(app) };
}

/** A worker process (`main.js worker`) with its /metrics and /healthz listener. */
export async function spawnWorker(
  url: string,
  env: Record<string, string> = {},
): Promise<AppProcess> {
  // A worker with WORKER_PROCESSES=n has its children listen on the next n-1 ports.
  const metricsPort = await freePort(Number(env.WORKER_PROCESSES ?? 1));
  const app = track(
    spawnApp(['worker'], {
      DATABASE_URL: url,
      WORKER_METRICS_PORT: String(metricsPort),
      ...env,
    }),
  );
  await app.waitFor(/"msg":"worker started"/);
  return { app, url: `http://127.0.0.1:${metricsPort}` };
}

export function isRunning(process: AppProcess | SpawnedApp): boolean {
  const child = 'child' in process ? process.child : process.app.child;
  return child.exitCode === null && child.signalCode === null;
}

/** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopProcess(
  process: AppProcess | undefined,
  graceMs = 15_000,
): Promise<void> {
  if (!process || !isRunning(process)) return;
  process.app.child.kill('SIGTERM');
  const timer = setTimeout(() => process.app.child.kill('SIGKILL'), graceMs);
  await process.app.exited;
  clearTimeout(timer);
}

/** An RSS document with `count` items whose guids start with `prefix`. */
export function rss(prefix: string, count: number): string {
  const items = Array.from(
    { length: count },
    (_, i) =>
      `<item><title>${prefix} item ${i}</title><link>https://example.com/${prefix}/${i}</link>` +
      `<guid>${prefix}-${i}</guid><pubDate>${new Date(Date.UTC(2024, 0, 1 + i)).toUTCString()}</pubDate></item>`,
  ).join('');
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>${prefix}</title><link>https://example.com/${prefix}</link>${items}</channel></rss>`;
}

/** The value of a graphile-worker job count query (jobs still queued, of any state). */
export async function queuedJobs(knex: Knex, task?: string): Promise<number> {
  const query = knex('graphile_worker.jobs').count<{ count: number }[]>('* as count');
  if (task) query.where({ task_identifier: task });
  return Number((await query)[0]!.count);
}

export async function countRows(
  knex: Knex,
  table: string,
  where: Record<string, unknown> = {},
): Promise<number> {
  return Number(
    (await knex(table).where(where).count<{ count: number }[]>('* as count'))[0]!.count,
  );
}

export interface Session {
  /** The Cookie header of the signed-in session. */
  readonly cookie: string;
  /** Its CSRF token. */
  readonly csrf: string;
}

/** Signs in through the login form, for requests sent by hand (raw sockets, bad bodies). */
export async function signIn(
  baseUrl: string,
  username: string,
  password = 'correct horse battery',
): Promise<Session> {
  const jar = new Map<string, string>();
  const keep = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(';');
      const i = pair!.indexOf('=');
      jar.set(pair!.slice(0, i), pair!.slice(i + 1));
    }
  };
  const header = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const token = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const form = await fetch(`${baseUrl}/auth/login`);
  keep(form);
  const login = await fetch(`${baseUrl}/auth/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { cookie: header(), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, _csrf: token(await form.text()) }).toString(),
  });
  keep(login);
  if (login.status !== 302) throw new Error(`sign-in as ${username}: ${login.status}`);
  const page = await fetch(`${baseUrl}/settings/tokens`, { headers: { cookie: header() } });
  keep(page);
  return { cookie: header(), csrf: token(await page.text()) };
}

/** An anonymous visitor with a CSRF token (its cookie, from the login page): only the login is missing. */
export async function anonymousSession(baseUrl: string): Promise<Session> {
  const page = await fetch(`${baseUrl}/auth/login`);
  return {
    cookie: page.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; '),
    csrf: /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '',
  };
}
