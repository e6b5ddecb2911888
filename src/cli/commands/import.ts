/**
 * `import --user <username> <file>`: copies the file into the uploads folder,
 * creates the ImportJob and queues it for the worker (the import never runs
 * in this process), then draws a progress bar until the job ends.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { ImportJob } from '../../imports';
import { importOptions } from '../../imports/schemas';
import { createImportJob } from '../../imports/service';
import { tooLargeMessage } from '../../imports/uploads';
import { formatBytes, saveUpload } from '../../uploads/files';
import { findUserByUsername } from '../../users';
import type { CliContext } from '../context';
import { CommandFailed, UsageError } from '../errors';

export const importHelp =
  'import --user U <file> [--duplicates skip|overwrite] [--tags "a b"] [--private] [--no-wait]\n' +
  '                                                     import bookmarks (Netscape HTML, Pinboard or ActivityStreams JSON) through the worker';

const POLL_MS = 250;
const WORKER_HINT_MS = 10_000;
const ENDED = new Set(['completed', 'failed', 'cancelled']);

export async function importCommand(args: string[], ctx: CliContext): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      user: { type: 'string' },
      duplicates: { type: 'string', default: 'skip' },
      tags: { type: 'string', default: '' },
      private: { type: 'boolean', default: false },
      'no-wait': { type: 'boolean', default: false },
    },
  });
  const [file] = positionals;
  if (!values.user) throw new UsageError('import needs --user <username>.');
  if (!file) throw new UsageError('import needs the file to import.');
  const parsed = importOptions.safeParse(values);
  if (!parsed.success) throw new UsageError(parsed.error.issues[0]!.message);
  const user = await findUserByUsername(values.user);
  if (!user) throw new UsageError(`There is no user called ${values.user}.`);
  const size = fileSize(file);
  const { maxBytes } = ctx.config.imports;
  if (size > maxBytes) {
    throw new UsageError(
      `${file} is ${formatBytes(size)}: larger than the import limit of ${formatBytes(maxBytes)} (IMPORT_MAX_BYTES).`,
    );
  }
  // A copy: the worker deletes its upload when done, never the person's file.
  const upload = await saveUpload(
    fs.createReadStream(file),
    ctx.config.dataDir,
    maxBytes,
    new UsageError(tooLargeMessage(maxBytes)), // it grew since we looked
  );
  const job = await createImportJob(ctx.db.knex, {
    userId: user.id,
    upload: { ...upload, filename: path.basename(file) },
    options: parsed.data,
  });
  ctx.print(
    `Queued import #${job.id} of ${path.basename(file)} (${formatBytes(size)}) for ${user.username}.`,
  );
  if (values['no-wait']) {
    ctx.print(`A worker will run it; follow it on /import or with GET /api/v1/imports/${job.id}.`);
    return;
  }
  await follow(job.id, ctx);
}

function fileSize(file: string): number {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) throw new UsageError(`${file} is not a file.`);
    return stat.size;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}.`);
  }
}

async function follow(id: number, ctx: CliContext): Promise<void> {
  const bar = progressBar(process.stdout.isTTY === true, ctx.print);
  const started = Date.now();
  let hinted = false;
  for (;;) {
    const job = await ImportJob.query(ctx.db.knex).findById(id);
    if (!job) throw new CommandFailed(`Import #${id} is gone.`);
    bar.update(
      job.processed_bookmarks,
      Math.max(job.total_bookmarks, job.processed_bookmarks),
      job.status,
    );
    if (ENDED.has(job.status)) {
      bar.done();
      ctx.print(summary(job));
      if (job.status !== 'completed') {
        throw new CommandFailed(job.error_message ?? `The import was ${job.status}.`);
      }
      return;
    }
    if (!hinted && job.status === 'pending' && Date.now() - started > WORKER_HINT_MS) {
      hinted = true;
      process.stderr.write(
        '\nStill waiting for a worker to start the import: is `make run` or `npm run worker` running?\n',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

function summary(job: ImportJob): string {
  const lines = [
    `Import #${job.id} ${job.status}: ${job.processed_bookmarks} records, ${job.created_bookmarks} created, ` +
      `${job.updated_bookmarks} updated, ${job.skipped_bookmarks} skipped, ${job.failed_bookmarks} failed.`,
  ];
  for (const failure of job.failed_bookmark_details.slice(0, 10)) {
    lines.push(`  #${failure.index + 1} ${failure.url || '(no URL)'}: ${failure.error}`);
  }
  if (job.failed_bookmarks > 10) lines.push(`  … ${job.failed_bookmarks - 10} more on /import`);
  return lines.join('\n');
}

/** A bar redrawn in place on a terminal; elsewhere (pipes, logs) a line per 10 % or change of status. */
function progressBar(tty: boolean, print: (line: string) => void) {
  const WIDTH = 30;
  let last = '';
  let drawn = false;
  return {
    update(processed: number, total: number, status: string) {
      const percent = total > 0 ? Math.min(100, Math.floor((processed / total) * 100)) : 0;
      const filled = Math.round((percent / 100) * WIDTH);
      const line = `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(percent).padStart(3)}% ${processed}/${total || '?'} ${status}`;
      if (tty) {
        process.stdout.write(`\r${line}\u001b[K`);
        drawn = true;
      } else if (`${Math.floor(percent / 10)} ${status}` !== last) {
        last = `${Math.floor(percent / 10)} ${status}`;
        print(line);
      }
    },
    done() {
      if (drawn) process.stdout.write('\n');
    },
  };
}
