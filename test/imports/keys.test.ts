/**
 * Foreign keys checked set-wise (src/imports/keys.ts): taken only when
 * nothing but the three keys the import enforces would be skipped, and the
 * locks it takes instead of the per-row triggers keep a concurrently deleted
 * tag from being linked.
 */
import { hash, randomBytes } from 'node:crypto';
import test from 'ava';
import pg from 'pg';
import { prepareBatch } from '../../src/imports/columns';
import { canCheckKeysSetWise } from '../../src/imports/keys';
import type { ImportRecord } from '../../src/imports/records';
import { type Batch, writeBatch } from '../../src/imports/writer';
import { createTestDatabase, type TestDatabase } from '../helpers/database';

let db: TestDatabase;
const clients: pg.Client[] = [];

test.before(async () => {
  db = await createTestDatabase();
});
test.after.always(async () => {
  await Promise.all(clients.map((client) => client.end().catch(() => {})));
  await db?.close();
});

async function connect(url = db.url): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  clients.push(client);
  return client;
}

async function anOwnerWithJob(client: pg.Client): Promise<{ ownerId: number; jobId: number }> {
  const name = `keys${randomBytes(4).toString('hex')}`;
  const { rows: users } = await client.query<{ id: string }>(
    `INSERT INTO users (username, email, password_hash) VALUES ($1, $2, 'x') RETURNING id`,
    [name, `${name}@example.test`],
  );
  const ownerId = Number(users[0]!.id);
  const { rows: jobs } = await client.query<{ id: string }>(
    `INSERT INTO import_jobs (user_id, file_path, status) VALUES ($1, '/none', 'processing') RETURNING id`,
    [ownerId],
  );
  return { ownerId, jobId: Number(jobs[0]!.id) };
}

function record(index: number, url: string, tags: string[]): ImportRecord {
  const digest = hash('sha256', url, 'buffer');
  return {
    index,
    url,
    hash: digest.toString('hex'),
    key: digest.toString('latin1', 0, 16),
    title: `Title ${index}`,
    description: '',
    tags,
    createdAt: new Date('1995-06-01T12:00:00.123Z'),
    updatedAt: undefined,
    private: false,
    feedUrl: null,
  };
}

function batchOf(
  owner: { ownerId: number; jobId: number },
  items: ImportRecord[],
  setWiseKeys: boolean,
): Batch {
  return {
    jobId: owner.jobId,
    ownerId: owner.ownerId,
    mode: 'skip',
    setWiseKeys,
    parsed: prepareBatch(0, items),
  };
}

async function linkedTags(client: pg.Client, ownerId: number): Promise<string[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT t.name FROM bookmark_tags bt JOIN bookmarks b ON b.id = bt.bookmark_id
       JOIN tags t ON t.id = bt.tag_id WHERE b.owner_id = $1 ORDER BY t.name`,
    [ownerId],
  );
  return rows.map((row) => row.name);
}

test.serial(
  'set-wise keys only when the role may and no trigger or other key would be skipped',
  async (t) => {
    const admin = await connect();
    t.true(await canCheckKeysSetWise(admin), 'a superuser, the schema as migrated');

    await admin.query(`CREATE FUNCTION keys_test_noop() RETURNS trigger LANGUAGE plpgsql
                       AS 'BEGIN RETURN NEW; END'`);
    await admin.query(`CREATE TRIGGER keys_test AFTER INSERT ON bookmark_tags
                       FOR EACH ROW EXECUTE FUNCTION keys_test_noop()`);
    t.false(await canCheckKeysSetWise(admin), 'a trigger of its own on bookmark_tags');
    await admin.query('DROP TRIGGER keys_test ON bookmark_tags');

    await admin.query('ALTER TABLE bookmarks ADD COLUMN keys_test bigint REFERENCES users (id)');
    t.false(await canCheckKeysSetWise(admin), 'a foreign key the import does not enforce');
    await admin.query('ALTER TABLE bookmarks DROP COLUMN keys_test');
    t.true(await canCheckKeysSetWise(admin));

    // A role that may not set session_replication_role: the per-row triggers, same rows.
    const role = `keys_test_${randomBytes(4).toString('hex')}`;
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'keys test'`);
    try {
      await admin.query(`GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}`);
      await admin.query(`GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      const url = new URL(db.url);
      url.username = role;
      url.password = 'keys test';
      const plain = await connect(url.toString());
      t.false(await canCheckKeysSetWise(plain));
      const owner = await anOwnerWithJob(admin);
      const result = await writeBatch(
        plain,
        batchOf(owner, [record(0, 'https://keys.example/plain', ['a', 'b'])], false),
        Promise.resolve('written'),
        new Set(),
      );
      t.like(result, { kind: 'written', created: 1, tagLinks: 2 });
      t.deepEqual(await linkedTags(admin, owner.ownerId), ['a', 'b']);
      const { rows } = await admin.query<{ created_at: Date }>(
        'SELECT created_at FROM bookmarks WHERE owner_id = $1',
        [owner.ownerId],
      );
      t.is(rows[0]?.created_at.toISOString(), '1995-06-01T12:00:00.123Z');

      await admin.query(`GRANT SET ON PARAMETER session_replication_role TO ${role}`);
      t.true(await canCheckKeysSetWise(plain), 'granted the parameter');
      await admin.query(`REVOKE SET ON PARAMETER session_replication_role FROM ${role}`);
      await plain.end();
    } finally {
      await admin.query(`DROP OWNED BY ${role}`);
      await admin.query(`DROP ROLE ${role}`);
    }
  },
);

test.serial(
  'set-wise keys: a tag being deleted is waited for, then not linked; nothing dangles',
  async (t) => {
    const admin = await connect();
    const writer = await connect();
    const owner = await anOwnerWithJob(admin);
    await admin.query(`INSERT INTO tags (owner_id, name) VALUES ($1, 'keep'), ($1, 'gone')`, [
      owner.ownerId,
    ]);
    const deleter = await connect();
    await deleter.query('BEGIN');
    await deleter.query(`DELETE FROM tags WHERE owner_id = $1 AND name = 'gone'`, [owner.ownerId]);

    let settled = false;
    const writing = writeBatch(
      writer,
      batchOf(owner, [record(0, 'https://keys.example/racing', ['keep', 'gone'])], true),
      Promise.resolve('written'),
      new Set(['keep', 'gone']),
    ).finally(() => {
      settled = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 500));
    t.false(settled, 'the batch waits for the tag the deleter holds');
    await deleter.query('COMMIT');

    t.like(await writing, { kind: 'written', created: 1, tagLinks: 1 });
    t.deepEqual(await linkedTags(admin, owner.ownerId), ['keep']);
    const { rows } = await admin.query<{ dangling: number }>(
      `SELECT count(*)::int AS dangling FROM bookmark_tags bt
       WHERE NOT EXISTS (SELECT 1 FROM tags t WHERE t.id = bt.tag_id)
          OR NOT EXISTS (SELECT 1 FROM bookmarks b WHERE b.id = bt.bookmark_id)`,
    );
    t.is(rows[0]?.dangling, 0);
  },
);
