/**
 * bin/pebbling-club, the package's bin, run as a shell runs it: under a Node
 * older than the project's minimum (the system's, when it has one) it says so
 * in one line and exits 1, instead of crashing inside the build output; under
 * the project's Node it is the CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { projectRoot } from '../../src/paths';

const BIN = path.join(projectRoot, 'bin', 'pebbling-club');

function isOlderThanMinimum(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major < 22 || (major === 22 && minor < 18);
}

/** A `node` on PATH (or the system's) older than 22.18, if this machine has one. */
function olderNode(): { path: string; version: string } | undefined {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of new Set(dirs.filter(Boolean))) {
    const candidate = path.join(dir, 'node');
    if (!fs.existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['-p', 'process.versions.node'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const version = probe.stdout?.trim();
    if (probe.status === 0 && version && isOlderThanMinimum(version)) {
      return { path: candidate, version };
    }
  }
  return undefined;
}

const old = olderNode();

(old ? test : test.skip)(
  `under a Node older than 22.18 (${old?.version ?? 'none on this machine'}) the bin says so and exits 1`,
  (t) => {
    const run = spawnSync(old!.path, [BIN, 'help'], { cwd: projectRoot, encoding: 'utf8' });
    t.is(run.status, 1);
    t.is(run.stdout, '');
    t.is(
      run.stderr,
      `pebbling-club needs Node 22.18 or newer, but this is Node ${old!.version} (${fs.realpathSync(old!.path)}): ` +
        'run `npx pebbling-club …` or `npm run cli -- …` in the project, which use its own Node, ' +
        'or install a newer Node.\n',
    );
  },
);

test("under the project's Node the bin is the CLI", (t) => {
  const run = spawnSync(process.execPath, [BIN, 'help'], { cwd: projectRoot, encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  t.regex(run.stdout, /^Usage: npm run cli -- <command>/);
  t.notRegex(run.stderr, /needs Node/);
});
