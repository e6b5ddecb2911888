/**
 * `npm test`: starts one PostgreSQL for the whole run (embedded, or the server
 * at DATABASE_URL), migrates a template database, then runs ava. Each test
 * file clones the template into its own database (test/helpers/database.ts).
 * Prints a closing "N passed, N failed" line.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { loadEnvFile } from '../../src/config/env-file';
import { createKnex } from '../../src/db/connection';
import { startScratchPostgres } from '../../src/db/embedded';
import { migrateAll } from '../../src/db/migrate';
import { projectRoot } from '../../src/paths';
import { freePort } from '../helpers/ports';

const TEMPLATE = 'pebbling_template';

async function startServer(): Promise<{ adminUrl: string; stop: () => Promise<void> }> {
  if (process.env.DATABASE_URL) {
    return { adminUrl: process.env.DATABASE_URL, stop: async () => {} };
  }
  const dir = path.join(projectRoot, '.test-data');
  fs.mkdirSync(dir, { recursive: true });
  const server = await startScratchPostgres({
    port: await freePort(),
    parentDir: dir,
    maxConnections: 400,
  });
  return { adminUrl: server.adminUrl, stop: () => server.destroy() };
}

async function createTemplate(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${TEMPLATE}`);
  await admin.end();
  const url = withDatabase(adminUrl, TEMPLATE);
  const knex = createKnex(url);
  await migrateAll({ url, knex });
  await knex.destroy();
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function runAva(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve) => {
    const cli = path.join(projectRoot, 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
    const child = spawn(process.execPath, [cli, ...args], {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let passed = 0;
    let failed = 0;
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      process.stdout.write(chunk);
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (/^\s+✔ /.test(line)) passed += 1;
        else if (/^\s+✘ /.test(line)) failed += 1;
      }
    });
    child.on('exit', (code) => {
      if (code !== 0 && failed === 0) failed = 1;
      process.stdout.write(`\nava: ${passed} passed, ${failed} failed\n`);
      resolve(code ?? 1);
    });
  });
}

/**
 * Every compiled test whose TypeScript source still exists. tsc never deletes
 * output, so a test removed or renamed in src would otherwise go on running
 * from an old dist/ (a fresh clone has none of those).
 */
function testFiles(dir = path.join(projectRoot, 'test')): string[] {
  const files: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...testFiles(full));
    else if (entry.name.endsWith('.test.ts')) {
      const relative = path.relative(projectRoot, full).replace(/\.ts$/, '.js');
      files.push(path.join('dist', relative));
    }
  }
  return files.sort();
}

async function main(): Promise<void> {
  // The tests see the same .env as `make run` (ava's workers inherit it).
  loadEnvFile();
  const server = await startServer();
  let code = 1;
  try {
    await createTemplate(server.adminUrl);
    const args = process.argv.slice(2);
    code = await runAva(args.some((a) => !a.startsWith('-')) ? args : [...args, ...testFiles()], {
      ...process.env,
      TEST_ADMIN_DATABASE_URL: server.adminUrl,
      TEST_TEMPLATE_DATABASE: TEMPLATE,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    });
  } finally {
    await server.stop();
  }
  process.exit(code);
}

main().catch((error: unknown) => {
  process.stderr.write(`test run failed to start: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
});
