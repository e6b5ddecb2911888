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
    for (;;) {
      row = await knex('import_jobs').where('id', job.id).first<JobRow>();
      peakSeen = Math.max(peakSeen, memoryOf(worker.pid)?.now ?? 0);
      if (row && ['completed', 'failed', 'cancelled'].includes(row.status)) break;
      if (performance.now() - queued > 600_000) throw new Error('import took over 10 minutes');
      await sleep(25);
    }
    const wallSeconds = (performance.now() - queued) / 1000;
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
      'Rate = bookmarks / wall time from queueing to the job row reading completed (polled every 25 ms); the job’s own started→completed time is shown beside it.',
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
      'Design: the worker hands the job to a thread with a heap of its own (young generation 16 MB, old 128 MB): it parses the file in 64 KB chunks, checks each record and writes batches of 1000 as PostgreSQL binary arrays (one parameter per column) — one INSERT … SELECT unnest(…) for the bookmarks and their tag links, tags created (sorted) just before. Two batches are written at once on two connections and committed strictly in order, each with the job’s cursor. Foreign keys are enforced set-wise when safe (src/imports/keys.ts, docs/imports.md): one FOR KEY SHARE lock statement per table inside the batch instead of PostgreSQL’s 7 per-row trigger queries per bookmark.',
      'CPU per bookmark, this bench, same half hour on the busy shared machine (worker + PostgreSQL): before set-wise keys and binary arrays 267 µs (worker 98, PostgreSQL 169: a ceiling of ~7 500/s on 2 idle cores); after, 151–176 µs over five runs (worker 74–90, PostgreSQL 73–85: ~11 400–13 200/s). On the quiet machine a 16 MB young generation for the thread instead of 4 MB took the rate from 10 800–11 900/s (median 11 500, six runs) to 11 400–13 200/s (median 12 400, five runs) for ~8 MB more peak RSS; what remains is spread over the parse thread (htmlparser2 ~18 µs a bookmark, URL normalising ~8, SHA-256 ~3.5), PostgreSQL’s index maintenance (five indexes on bookmarks, two on bookmark_tags) and autovacuum. The wall-clock rate follows the CPU other processes leave: with half the machine taken, 5 000–7 500/s.',
      'Where the time goes (100 000 bookmarks written on two connections from pre-parsed batches, PostgreSQL backend CPU, same minutes, machine busy): per-row foreign-key triggers 13.3 s, set-wise 5.8 s; of the trigger cost, bookmark_tags → bookmarks ≈ 3.8 s, → tags ≈ 3.1 s, bookmarks → users ≈ 0.7 s. Binary arrays instead of array literals saved ≈ 10 % of the statement (no array_in parsing, dates without to_timestamp). In the thread (one core, 100 000 records, CPU): htmlparser2 ≈ 1.8 s, record checks ≈ 3 s (URL parse + normalisation ≈ 0.8 s, SHA-256 ≈ 0.35 s, tags ≈ 0.25 s, the rest allocation and GC: ≈ 10 KB allocated per record, ~1000 young-generation collections, whose parallel helpers are the V8Worker threads’ CPU), columns ≈ 0.3 s.',
      'Memory: an idle worker (telemetry SDK and the whole app loaded) is ~176 MB RSS, most of it V8’s young generation grown during start-up; the import adds the thread (~35 MB: an isolate and the parsers) and its heap. Run in the main thread instead, the same import grew the young generation to 134 MB and let pg’s message buffers (external memory, freed only by a GC) pile up: 441 MB peak.',
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
