/**
 * `npm run bench:counters`: what counting writes in the database costs.
 * 100 000 bookmarks are inserted the way an import writes them (batches of
 * 1 000 rows, one INSERT … SELECT FROM unnest per batch, one transaction
 * each) and then deleted in one statement (as a deleted account's cascade
 * would), with the metric triggers of migration 009 and — for the baseline
 * only — with them disabled. Rounds alternate A/B so that drift on a shared
 * machine hits both; the figure is the PostgreSQL backend's CPU time, read
 * from /proc (falls back to wall time for a remote DATABASE_URL).
 */
import fs from 'node:fs';
import pg from 'pg';
import { cpuMsOf } from '../lib/cpu';
import { POSTGRES_NOTE, startBenchPostgres } from '../lib/postgres';
import { Recorder, runBench } from '../lib/results';
import { median } from '../lib/stats';

const ROWS = Number(process.env.BENCH_COUNTER_ROWS ?? 100_000);
const BATCH = 1000;
const ROUNDS = Number(process.env.BENCH_COUNTER_ROUNDS ?? 5);
const TRIGGERS = ['metric_bookmarks_insert', 'metric_bookmarks_delete'];

interface Round {
  insertMs: number;
  deleteMs: number;
}

async function backendMs(client: pg.Client, pid: number, local: boolean): Promise<number> {
  if (local) return cpuMsOf(pid);
  await client.query('SELECT 1');
  return performance.now();
}

async function oneRound(client: pg.Client, owner: number, round: number): Promise<Round> {
  const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]!.pid;
  const local = fs.existsSync(`/proc/${pid}/stat`);
  let start = await backendMs(client, pid, local);
  for (let first = 0; first < ROWS; first += BATCH) {
    const n = Math.min(BATCH, ROWS - first);
    const urls = Array.from({ length: n }, (_, i) => `https://bench.example/${round}/${first + i}`);
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO bookmarks (owner_id, url, unique_hash, title)
       SELECT $1, u, md5(u), 'Bench' FROM unnest($2::text[]) AS u`,
      [owner, urls],
    );
    await client.query('COMMIT');
  }
  const insertMs = (await backendMs(client, pid, local)) - start;
  start = await backendMs(client, pid, local);
  await client.query('DELETE FROM bookmarks WHERE owner_id = $1', [owner]);
  const deleteMs = (await backendMs(client, pid, local)) - start;
  // Keep the next round's starting point the same: no events or dead rows pile up.
  await client.query('DELETE FROM metric_events');
  await client.query('VACUUM bookmarks');
  return { insertMs, deleteMs };
}

async function setTriggers(client: pg.Client, on: boolean): Promise<void> {
  for (const name of TRIGGERS) {
    await client.query(`ALTER TABLE bookmarks ${on ? 'ENABLE ALWAYS' : 'DISABLE'} TRIGGER ${name}`);
  }
}

runBench(async () => {
  const recorder = new Recorder(
    'counters',
    'Cost of counting writes in the database',
    'npm run bench:counters',
  );
  const server = await startBenchPostgres();
  try {
    const url = await server.createDatabase('bench_counters');
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const { rows } = await client.query<{ id: number }>(
      `INSERT INTO users (username, email, password_hash) VALUES ('bench', 'bench@x.test', 'x') RETURNING id`,
    );
    const owner = rows[0]!.id;
    const runs = { on: [] as Round[], off: [] as Round[] };
    // One warm-up of each, not counted.
    for (const on of [true, false]) {
      await setTriggers(client, on);
      await oneRound(client, owner, -1);
    }
    for (let round = 0; round < ROUNDS; round++) {
      for (const on of round % 2 === 0 ? [true, false] : [false, true]) {
        await setTriggers(client, on);
        runs[on ? 'on' : 'off'].push(await oneRound(client, owner, round));
      }
    }
    await setTriggers(client, true);
    await client.end();

    const m = (list: Round[], key: keyof Round) => median(list.map((r) => r[key]));
    recorder.method.push(
      `${ROWS} bookmarks inserted in batches of ${BATCH} (INSERT … SELECT FROM unnest, one transaction each), then deleted in one statement; ${ROUNDS} rounds each way, alternating, medians.`,
      'Figure: CPU time of the PostgreSQL backend that ran the statements (/proc), with the metric triggers (ENABLE ALWAYS, as migrated) and without them (disabled for the baseline only).',
      POSTGRES_NOTE,
    );
    recorder.add({
      id: 'insert',
      label: `insert ${ROWS} bookmarks, counted by the triggers`,
      unit: 'ms CPU',
      value: m(runs.on, 'insertMs'),
      baseline: { label: 'triggers disabled', value: m(runs.off, 'insertMs') },
      target: { on: 'ratio', op: '<=', threshold: 1.15 },
    });
    recorder.add({
      id: 'delete',
      label: `delete ${ROWS} bookmarks in one statement, counted`,
      unit: 'ms CPU',
      value: m(runs.on, 'deleteMs'),
      baseline: { label: 'triggers disabled', value: m(runs.off, 'deleteMs') },
    });
    recorder.raw = runs;
    recorder.write();
  } finally {
    await server.stop();
  }
});
