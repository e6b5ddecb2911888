/**
 * One batch's transaction (src/imports/writer.ts) on a real database, with
 * statement-level triggers on bookmarks, tags and bookmark_tags (as the
 * database-derived counters use): the merge runs with them and every other
 * guarantee on, they see exactly the rows written, and a batch that is not
 * the job's next one writes nothing.
 */
import test from 'ava';
import pg from 'pg';
import { type Batch, batchRecords } from '../../src/imports/batching';
import { readNetscape } from '../../src/imports/parsers/netscape';
import { createStagingTable, writeBatch } from '../../src/imports/writer';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { aUser } from '../helpers/factories';

let db: TestDatabase;
let client: pg.Client;
test.before(async () => {
  db = await createTestDatabase();
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await createStagingTable(client);
  await client.query('CREATE TABLE trigger_log (tbl text, op text, n int)');
  await client.query(`CREATE FUNCTION log_rows() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'DELETE' THEN
        INSERT INTO trigger_log SELECT TG_TABLE_NAME, TG_OP, count(*) FROM old_rows;
      ELSE
        INSERT INTO trigger_log SELECT TG_TABLE_NAME, TG_OP, count(*) FROM new_rows;
      END IF;
      RETURN NULL;
    END $$`);
  for (const table of ['bookmarks', 'tags', 'bookmark_tags']) {
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      const rows = op === 'DELETE' ? 'OLD TABLE AS old_rows' : 'NEW TABLE AS new_rows';
      await client.query(`CREATE TRIGGER log_${table}_${op} AFTER ${op} ON ${table}
        REFERENCING ${rows} FOR EACH STATEMENT EXECUTE FUNCTION log_rows()`);
    }
  }
});
test.after.always(async () => {
  await client?.end();
  await db?.close();
});

async function batchesOf(html: string, cursor = 0): Promise<Batch[]> {
  const record = { extraTags: [], forcePrivate: false };
  const all: Batch[] = [];
  const records = readNetscape(
    (async function* () {
      yield html;
    })(),
    { truncated: false },
  );
  for await (const batch of batchRecords(records, { cursor, batchSize: 100, record })) {
    all.push(batch);
  }
  return all;
}

/** What the triggers saw since the last call, as "table op rows" (statements that changed nothing left out). */
async function triggered(): Promise<string[]> {
  const { rows } = await client.query<{ line: string }>(
    `DELETE FROM trigger_log WHERE n > 0 RETURNING tbl || ' ' || op || ' ' || n AS line`,
  );
  await client.query('DELETE FROM trigger_log');
  return rows.map((row) => row.line).sort();
}

async function linksOf(ownerId: number): Promise<string[]> {
  const { rows } = await client.query<{ link: string }>(
    `SELECT b.url || ' ' || t.name AS link FROM bookmark_tags bt
       JOIN bookmarks b ON b.id = bt.bookmark_id JOIN tags t ON t.id = bt.tag_id
      WHERE b.owner_id = $1 ORDER BY 1`,
    [ownerId],
  );
  return rows.map((row) => row.link);
}

test.serial(
  'skip, then overwrite: rows, links and counters, with statement triggers on',
  async (t) => {
    const user = await aUser();
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO import_jobs (user_id, file_path, status) VALUES ($1, '/x', 'processing') RETURNING id`,
      [user.id],
    );
    const target = { jobId: Number(rows[0]!.id), ownerId: user.id, mode: 'skip' } as const;
    const first = await batchesOf(
      '<DT><A HREF="https://w.example/a" TAGS="x,y">A</A><DT><A HREF="https://w.example/b" TAGS="y">B</A><DT><A HREF="https://w.example/c">C</A><DT><A HREF="https://w.example/a">again</A><DT><A HREF="javascript:1">bad</A>',
    );
    t.like(await writeBatch(client, target, first[0]!), {
      kind: 'written',
      created: 3,
      updated: 0,
      skipped: 1,
      failed: 1,
      tagsCreated: 2,
    });
    t.deepEqual(await triggered(), [
      'bookmark_tags INSERT 3',
      'bookmarks INSERT 3',
      'tags INSERT 2',
    ]);

    // Overwrite: A gets exactly [y, z]; B comes without tags and keeps its own; D is new.
    const second = await batchesOf(
      '<DT><A HREF="https://w.example/a" TAGS="y,z">A2</A><DT><A HREF="https://w.example/b">B2</A><DT><A HREF="https://w.example/d" TAGS="z">D</A>',
    );
    const shifted = { ...second[0]!, startIndex: 5, endIndex: 8 };
    const overwrite = { ...target, mode: 'overwrite' } as const;
    t.like(await writeBatch(client, overwrite, shifted), {
      kind: 'written',
      created: 1,
      updated: 2,
      skipped: 0,
      tagsCreated: 1,
    });
    t.deepEqual(await triggered(), [
      'bookmark_tags DELETE 1',
      'bookmark_tags INSERT 2',
      'bookmarks INSERT 1',
      'bookmarks UPDATE 2',
      'tags INSERT 1',
    ]);
    t.deepEqual(await linksOf(user.id), [
      'https://w.example/a y',
      'https://w.example/a z',
      'https://w.example/b y',
      'https://w.example/d z',
    ]);
    const job = await db.knex('import_jobs').where('id', target.jobId).first();
    t.like(job, {
      resume_cursor: 8,
      processed_bookmarks: 8,
      created_bookmarks: 4,
      updated_bookmarks: 2,
      skipped_bookmarks: 1,
      failed_bookmarks: 1,
    });
    t.deepEqual(
      job.failed_bookmark_details.map((f: { index: number }) => f.index),
      [4],
    );

    // Not the job's next batch (another worker's, or a stale one): nothing is written.
    t.deepEqual(await writeBatch(client, target, first[0]!), {
      kind: 'stopped',
      status: 'processing',
    });
    await db.knex('import_jobs').where('id', target.jobId).update({ status: 'cancelled' });
    const after = { ...second[0]!, startIndex: 8, endIndex: 11 };
    t.deepEqual(await writeBatch(client, target, after), { kind: 'stopped', status: 'cancelled' });
    t.deepEqual(await triggered(), []);
    t.is((await db.knex('import_jobs').where('id', target.jobId).first()).resume_cursor, 8);
  },
);
