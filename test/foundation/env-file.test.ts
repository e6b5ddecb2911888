/**
 * The .env file: read from the working directory (or ENV_FILE) by every entry
 * point's loadConfig(), the environment winning, silent when there is none.
 * Each case is a fresh Node process, as the file is read once per process.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { projectRoot } from '../../src/paths';

const SCRIPT = `const { loadConfig } = require(${JSON.stringify(path.join(projectRoot, 'dist', 'src', 'config'))});
const c = loadConfig();
console.log(JSON.stringify({ port: c.port, privateNets: c.fetch.allowPrivateNetworks, level: c.logLevel }));`;

function configIn(cwd: string, env: Record<string, string> = {}) {
  const clean = { ...process.env };
  for (const name of ['PORT', 'FETCH_ALLOW_PRIVATE_NETWORKS', 'LOG_LEVEL', 'ENV_FILE']) {
    delete clean[name];
  }
  const run = spawnSync(process.execPath, ['-e', SCRIPT], {
    cwd,
    env: { ...clean, ...env },
    encoding: 'utf8',
  });
  return {
    status: run.status,
    stderr: run.stderr,
    config: run.status === 0 ? JSON.parse(run.stdout) : undefined,
  };
}

function dirWith(t: { teardown(fn: () => void): void }, envFile?: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-env-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  if (envFile !== undefined) fs.writeFileSync(path.join(dir, '.env'), envFile);
  return dir;
}

test('values come from .env, and the environment wins over it', (t) => {
  const dir = dirWith(
    t,
    '# local\nPORT=4123\nFETCH_ALLOW_PRIVATE_NETWORKS=true\nLOG_LEVEL="warn"\n',
  );
  t.deepEqual(configIn(dir).config, { port: 4123, privateNets: true, level: 'warn' });
  t.deepEqual(configIn(dir, { PORT: '4999' }).config, {
    port: 4999,
    privateNets: true,
    level: 'warn',
  });
});

test('no .env: defaults, and not a word about it', (t) => {
  const run = configIn(dirWith(t));
  t.deepEqual(run.config, { port: 3000, privateNets: false, level: 'info' });
  t.is(run.stderr, '');
});

test('ENV_FILE names another file, which must exist; bad values in it are named', (t) => {
  const dir = dirWith(t);
  fs.writeFileSync(path.join(dir, 'prod.env'), 'PORT=eighty\n');
  const bad = configIn(dir, { ENV_FILE: 'prod.env' });
  t.not(bad.status, 0);
  t.regex(bad.stderr, /PORT="eighty" is not valid/);
  const missing = configIn(dir, { ENV_FILE: 'nowhere.env' });
  t.not(missing.status, 0);
  t.regex(missing.stderr, /ENV_FILE .*nowhere\.env/);
});
