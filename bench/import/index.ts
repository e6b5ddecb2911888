/**
 * Import throughput, end to end: a generated 100 000-bookmark Netscape file
 * (3 tags each) is queued as an ImportJob and imported by a real worker
 * process (`main.js worker`, as `npm run worker` runs it). Reports
 * bookmarks/s from queueing to the job's end, and the worker's peak RSS
 * (VmHWM from /proc), against the targets (≥ 10 000/s, ≤ 256 MB).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Model } from 'objection';
import { Client as PgClient } from 'pg';
import { createKnex } from '../../src/db/connection';
import { createImportJob } from '../../src/imports/service';
import { saveUpload } from '../../src/uploads/files';
import { createUser } from '../../src/users';
import { cpuMsOf, treeCpuMs } from '../lib/cpu';
import { POSTGRES_NOTE, startBenchPostgres } from '../lib/postgres';
import { spawnApp } from '../lib/process';
import { log, Recorder, runBench } from '../lib/results';
import { round, sleep } from '../lib/stats';
import { rawInsertRate } from './calibrate';
import { generateNetscapeFile } from './generate';

const COUNT = Number(process.env.BENCH_IMPORT_COUNT ?? 100_000);
const TARGET_RATE = 10_000;
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

    const upload = await saveUpload(
      fs.createReadStream(file),
      tmp,
      bytes + 1,
      new Error('too large'),
    );
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
      'Machine speed in the same minute: after the import, as many bookmark-shaped rows are inserted by a plain multi-row INSERT … SELECT unnest(…) from Node into a copy of the bookmarks table (indexes, no foreign keys, no tags). That is the ceiling an import can approach (~57 000 rows/s on this machine when quiet, stack notes); the import’s share of it does not depend on how busy the machine is, and the rate target corresponds to 10 000 / 57 000 ≈ 0.18 of it.',
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
      detail: `worker ${round(perBookmarkUs(cpu.worker))} µs, PostgreSQL ${round(perBookmarkUs(cpu.postgres))} µs`,
    });
    // One connection: PostgreSQL works on one batch at a time, on one core, so
    // its CPU per bookmark bounds the rate whatever else the machine does.
    const postgresUs = perBookmarkUs(cpu.postgres);
    rec.add({
      id: 'import.postgres_cpu_per_bookmark',
      label: 'PostgreSQL CPU per bookmark (one connection: one core)',
      unit: 'µs',
      value: postgresUs,
      baseline: { label: 'one core at the target rate', value: 1e6 / TARGET_RATE },
      target: { on: 'ratio', op: '<=', threshold: 1 },
      detail: `PostgreSQL's CPU alone allows at most ${round(1e6 / postgresUs)} bookmarks/s`,
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
      'Design (docs/imports.md): the worker hands the job to a thread with a heap of its own (young generation 16 MB, old 128 MB). The thread reads the file in 64 KB chunks with htmlparser2, checks each record and writes it as a line of COPY text; a batch of 1000 is one transaction on the import’s one connection: the job row locked and checked, the rows copied into a temporary staging table (pg-copy-streams), and one statement (data-modifying CTEs) that inserts the bookmarks, creates the tags, links them and moves the job’s cursor. Foreign keys and triggers run as for any other writer. The next batch is read while one is written.',
      'Where the time goes (provisional, measured on a shared and busy machine): PostgreSQL does most of the work, on one core (one connection). Its foreign-key triggers (bookmarks → users; bookmark_tags → bookmarks and → tags: 7 row checks a bookmark with 3 tags) are about 45 % of the backend’s CPU (~30 of ~67 µs a bookmark; the same statement with the constraints dropped in a scratch database: ~38 µs); the rest is the inserts, five index entries a bookmark and two a tag link, and WAL. perf shows no single hot spot (btree search and insert, buffer and lock management, relation extension). The worker spends ~30 µs a bookmark (htmlparser2, URL checks, SHA-256, COPY text), on the other core, while PostgreSQL writes the batch before.',
      'Against the design before it (a fast scanner instead of htmlparser2, batches as binary arrays, foreign keys checked set-wise with session_replication_role = replica, two connections committing in order), run alternately on the same busy machine: ~1.3–1.6× the CPU a bookmark (PostgreSQL +20–30 µs, the triggers; the worker about the same) and, with one connection instead of two, about half the rate when the machine is saturated.',
      'Memory: an idle worker (telemetry SDK and the whole app loaded) is ~160 MB RSS; the import thread adds ~60 MB. Run in the worker’s main thread instead, the same import grew V8’s young generation to 128 MB: 289 MB peak.',
    );
    // The machine's speed in the same minute: the worker is stopped first, so it is alone.
    await worker.stop();
    const raw = await rawInsertRate(knex, COUNT);
    rec.add({
      id: 'import.share_of_raw_insert',
      label: 'import rate / raw multi-row INSERT rate (same minute)',
      unit: '×',
      value: rate / raw,
      baseline: { label: 'target: 10 000 / 57 000', value: TARGET_RATE / QUIET_RAW_RATE },
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
