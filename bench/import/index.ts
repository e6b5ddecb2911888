/**
 * Import throughput, end to end: a generated 100 000-bookmark Netscape file
 * (3 tags each) is queued as an ImportJob and imported by a real worker
 * process (`main.js worker`, as `npm run worker` runs it). Reports
 * bookmarks/s from queueing to the job's end, and the worker's peak RSS
 * (VmHWM from /proc), against the targets (≥ 12 000/s, ≤ 256 MB).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Model } from 'objection';
import { Client as PgClient } from 'pg';
import { createKnex } from '../../src/db/connection';
import { createImportJob } from '../../src/imports/service';
import { saveUpload } from '../../src/imports/uploads';
import { createUser } from '../../src/users';
import { cpuMsOf, treeCpuMs } from '../lib/cpu';
import { POSTGRES_NOTE, startBenchPostgres } from '../lib/postgres';
import { spawnApp } from '../lib/process';
import { log, Recorder, runBench } from '../lib/results';
import { round, sleep } from '../lib/stats';
import { rawInsertRate } from './calibrate';
import { generateNetscapeFile } from './generate';

const COUNT = Number(process.env.BENCH_IMPORT_COUNT ?? 100_000);
const TARGET_RATE = 12_000;
const TARGET_RSS_MB = 256;
/** Multi-row INSERT from Node on this machine when nothing else runs (stack notes). */
const QUIET_RAW_RATE = 57_000;

/** Peak and current resident set size of a process, in MB. */
function memoryOf(pid: number): { peak: number; now: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]);
    return { peak: kb('VmHWM') / 1024, now: kb('VmRSS') / 1024 };
  } catch {
    return undefined;
  }
}

interface JobRow {
  status: string;
  processed_bookmarks: number;
  created_bookmarks: number;
  failed_bookmarks: number;
  started_at: Date | null;
  completed_at: Date | null;
  error_message: string | null;
}

async function main(): Promise<void> {
  const rec = new Recorder(
    'import',
    `Import throughput (${COUNT.toLocaleString('en')} bookmarks, Netscape HTML)`,
    'npm run bench:import',
  );
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pebbling-bench-import-'));
  const pg = await startBenchPostgres();
  const url = await pg.createDatabase('bench_import');
  const knex = createKnex(url);
  Model.knex(knex);
  let worker: ReturnType<typeof spawnApp> | undefined;
  try {
    const file = path.join(tmp, 'bookmarks.html');
    const bytes = await generateNetscapeFile(file, COUNT);
    log(`generated ${COUNT} bookmarks, ${round(bytes / 1024 / 1024, 1)} MB`);
    const user = await createUser({
      username: 'bench',
      email: 'bench@example.test',
      password: 'bench password 123',
    });
    worker = spawnApp('worker', {
      env: {
        DATABASE_URL: url,
        DATA_DIR: tmp,
        LOG_LEVEL: 'info',
        WORKER_METRICS_PORT: '0',
      },
    });
    await worker.waitFor(/"msg":"worker started"/);
    const idle = memoryOf(worker.pid);

    const upload = await saveUpload(fs.createReadStream(file), tmp, bytes + 1);
    const pgPid = pg.pid();
    const cpuBefore = { worker: cpuMsOf(worker.pid), postgres: pgPid ? treeCpuMs(pgPid) : 0 };
    const queued = performance.now();
    const job = await createImportJob(knex, {
      userId: user.id,
      upload: { ...upload, filename: 'bookmarks.html' },
      options: { duplicates: 'skip', tags: '', private: false },
    });
    let row: JobRow | undefined;
    let peakSeen = 0;
    // Polled with one cheap prepared statement on a client of its own: a
    // knex query every 25 ms took about 3 % of the machine from the import.
    const poller = new PgClient({ connectionString: url });
    await poller.connect();
    try {
      for (;;) {
        const { rows } = await poller.query<{ status: string }>({
          name: 'bench_import_status',
          text: 'SELECT status FROM import_jobs WHERE id = $1',
          values: [job.id],
        });
        peakSeen = Math.max(peakSeen, memoryOf(worker.pid)?.now ?? 0);
        if (['completed', 'failed', 'cancelled'].includes(rows[0]?.status ?? '')) break;
        if (performance.now() - queued > 600_000) throw new Error('import took over 10 minutes');
        await sleep(25);
      }
    } finally {
      await poller.end();
    }
    const wallSeconds = (performance.now() - queued) / 1000;
    row = await knex('import_jobs').where('id', job.id).first<JobRow>();
    if (!row) throw new Error(`import ${job.id} is gone`);
    const memory = memoryOf(worker.pid);
    // CPU the import cost, whoever was also running: the worker (all its
    // threads, V8's GC helpers included) and PostgreSQL (backends included).
    const cpu = {
      worker: cpuMsOf(worker.pid) - cpuBefore.worker,
      postgres: pgPid ? treeCpuMs(pgPid) - cpuBefore.postgres : Number.NaN,
    };
    if (row.status !== 'completed' || row.created_bookmarks !== COUNT) {
      throw new Error(`import ended ${row.status}: ${JSON.stringify(row)}`);
    }
    const [{ links }] = (
      await knex.raw<{ rows: Array<{ links: number }> }>(
        'SELECT count(*)::int AS links FROM bookmark_tags',
      )
    ).rows as [{ links: number }];
    if (links !== COUNT * 3) throw new Error(`expected ${COUNT * 3} tag links, found ${links}`);
    const jobSeconds = (row.completed_at!.getTime() - row.started_at!.getTime()) / 1000;

    rec.method.push(
      `Generated Netscape file: ${COUNT} bookmarks (${round(bytes / 1024 / 1024, 1)} MB), 3 tags each out of 600, half with a <DD> description, 10 % private.`,
      'The job is created like an upload (file copied to DATA_DIR/uploads, ImportJob row + import_bookmarks job in one transaction); a separate worker process (dist/src/main.js worker, telemetry preloaded, IMPORT_BATCH_SIZE default 1000) imports it.',
      'Rate = bookmarks / wall time from queueing to the job row reading completed (polled every 25 ms with one prepared statement); the job’s own started→completed time is shown beside it.',
      'Peak RSS = VmHWM of the worker process from /proc/<pid>/status at the end (the whole life of the process, start-up included).',
      'Checked: every bookmark created and 3 tag links each.',
      'Machine speed in the same minute: after the import, as many bookmark-shaped rows are inserted by a plain multi-row INSERT … SELECT unnest(…) from Node into a copy of the bookmarks table (indexes, no foreign keys, no tags). That is the ceiling an import can approach (~57 000 rows/s on this machine when quiet, stack notes); the import’s share of it does not depend on how busy the machine is, and the rate target corresponds to 12 000 / 57 000 ≈ 0.21 of it.',
      POSTGRES_NOTE,
    );
    const rate = COUNT / wallSeconds;
    rec.add({
      id: 'import.rate',
      label: 'bookmarks imported per second',
      unit: 'bookmarks/s',
      value: rate,
      baseline: { label: 'target', value: TARGET_RATE },
      target: { on: 'ratio', op: '>=', threshold: 1 },
      detail: `${round(wallSeconds, 2)} s queued→completed; job ${round(jobSeconds, 2)} s started→completed (${round(COUNT / jobSeconds)} /s)`,
    });
    const perBookmarkUs = (ms: number) => (ms * 1000) / COUNT;
    const cpuUs = perBookmarkUs(cpu.worker + cpu.postgres);
    const cores = os.cpus().length;
    rec.add({
      id: 'import.cpu_per_bookmark',
      label: 'CPU per bookmark (worker + PostgreSQL)',
      unit: 'µs',
      value: cpuUs,
      baseline: { label: `target on ${cores} idle cores`, value: (cores * 1e6) / TARGET_RATE },
      target: { on: 'ratio', op: '<=', threshold: 1 },
      detail: `worker ${round(perBookmarkUs(cpu.worker))} µs, PostgreSQL ${round(perBookmarkUs(cpu.postgres))} µs; all ${cores} cores busy with nothing else would give ${round((cores * 1e6) / cpuUs)} /s`,
    });
    const peakMb = memory?.peak ?? peakSeen;
    rec.add({
      id: 'import.peak_rss',
      label: 'worker peak RSS',
      unit: 'MB',
      value: peakMb,
      baseline: { label: 'target', value: TARGET_RSS_MB },
      target: { on: 'ratio', op: '<=', threshold: 1 },
      detail: `idle after start ${round(idle?.now ?? 0)} MB; ${round(peakMb / TARGET_RSS_MB, 2)} of the budget`,
    });
    rec.notes.push(
      'Design: the worker hands the job to a thread with a heap of its own (young generation 16 MB, old 128 MB): it reads the file in 64 KB chunks with a scanner that follows htmlparser2 exactly (and falls back to it for markup it does not follow: docs/imports.md), checks each record and writes it straight into its batch’s PostgreSQL binary arrays (one parameter per column); batches of 1000 are one INSERT … SELECT unnest(…) for the bookmarks and their tag links, tags created (sorted) just before. Two batches are written at once on two connections and committed strictly in order, each with the job’s cursor. Foreign keys are enforced set-wise when safe (src/imports/keys.ts): one FOR KEY SHARE lock statement per table inside the batch instead of PostgreSQL’s 7 per-row trigger queries per bookmark.',
      'History of CPU per bookmark (worker + PostgreSQL) on this bench: 267 µs before set-wise keys and binary arrays (worker 98, PostgreSQL 169); 131–162 µs with them and a 16 MB young generation (worker 65–79, PostgreSQL 66–83; 10 800–13 200 bookmarks/s). Then, in the thread: the scanner instead of htmlparser2 (about 5 µs a record instead of 8 once warm), URLs parsed once and normalised without re-parsing (setters only for parts that change, plain queries as text), a hex SHA-256 digest (crypto.hash to a Buffer cost ~3 µs, to hex ~1), records written into the column buffers as they are checked (records kept until their batch was written were promoted: 121 MB promoted per 100 000 records in a parse-only run, 26 MB after; full collections of the thread’s heap went from 34 to 22 an import). In PostgreSQL: unique_hash compared in the C collation and feed_url indexed only where set (migration 004). The worker now spends 36–50 µs a bookmark and PostgreSQL 62–81: 110–131 µs, 13 400–17 600 bookmarks/s over a dozen runs on the quiet but noisy VM.',
      'Where the time goes now (perf, import window): PostgreSQL is about 60 % of the CPU (btree maintenance the largest part: five index entries per bookmark and two per tag link; WAL about 17 records a bookmark; 600 tag-row FOR KEY SHARE locks a batch), the import thread about 23 %, V8’s GC helper threads about 10 % (concurrent marking of ~22 full collections: the thread’s old-generation limit stays small), the worker’s main thread under 1 %. The poller of this bench used to take ~3 % of the machine (a knex query every 25 ms, and its backend counted as import CPU); it is now one prepared statement.',
      'Memory: an idle worker (telemetry SDK and the whole app loaded) is ~166 MB RSS, most of it V8’s young generation grown during start-up; the import adds the thread (~35 MB: an isolate and the parsers) and its heap. Run in the main thread instead, the same import grew the young generation to 134 MB and let pg’s message buffers (external memory, freed only by a GC) pile up: 441 MB peak.',
    );
    // The machine's speed in the same minute: the worker is stopped first, so it is alone.
    await worker.stop();
    const raw = await rawInsertRate(knex, COUNT);
    rec.add({
      id: 'import.share_of_raw_insert',
      label: 'import rate / raw multi-row INSERT rate (same minute)',
      unit: '×',
      value: rate / raw,
      baseline: { label: 'target: 12 000 / 57 000', value: TARGET_RATE / QUIET_RAW_RATE },
      target: { on: 'ratio', op: '>=', threshold: 1 },
      detail: `raw INSERT ${round(raw)} rows/s now (${round(QUIET_RAW_RATE)} on a quiet machine)`,
    });
    rec.raw = {
      count: COUNT,
      bytes,
      wallSeconds,
      jobSeconds,
      idleRssMb: idle?.now,
      peakRssMb: peakMb,
      cpuMs: cpu,
      rawInsertRate: raw,
    };
  } finally {
    await worker?.stop();
    await knex.destroy();
    await pg.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  rec.write();
}

runBench(main);
