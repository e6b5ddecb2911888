import type { Knex } from 'knex';

/**
 * Counters that the database keeps, so that no process can lose them
 * (docs/metrics.md, "Counters kept by the database"):
 *
 * - `metric_events`: append-only. Statement-level triggers with transition
 *   tables add one row per statement and label (never one per row, never an
 *   update of a shared row), in the same transaction as the change. CLI
 *   writes, imports, cascades and rolled-back transactions are therefore
 *   counted exactly as committed.
 * - `metric_totals`: running totals per metric and label set, and
 *   `metric_owner_totals` the same per user and feed (read only when ids are
 *   exported: it has a row per feed and status). One elected process moves
 *   the events into them (and into `metric_rollups`) in one statement; the
 *   exported counter is totals + events not yet moved, read in one snapshot.
 * - `metric_rollups`: per-minute and per-hour history for the status page.
 * - `metric_reporter`: when the single reporting process last exported, so a
 *   new reporter waits until the old one's series are stale in Prometheus.
 *
 * The triggers are ENABLE ALWAYS: they count even under
 * `session_replication_role = replica`, which switches ordinary triggers off.
 * Labels the database cannot see (where a bookmark came from, what kind of
 * edit) come from transaction-local settings (src/metrics/write-context.ts);
 * unset, they read `other`.
 *
 * Also `users.is_admin`: who may see the numbers about everyone on /status.
 */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('users', (t) => {
    t.boolean('is_admin').notNullable().defaultTo(false);
  });
  await knex.raw(TABLES);
  await knex.raw(FUNCTIONS);
  for (const [table, fn, model] of TRIGGERS) {
    for (const event of ['insert', 'update', 'delete'] as const) {
      if (table === 'import_jobs' && event !== 'update') continue;
      const name = `metric_${table}_${event}`;
      const transition = event === 'insert' ? 'NEW TABLE AS new_rows' : 'OLD TABLE AS old_rows';
      const both = event === 'update' ? 'OLD TABLE AS old_rows NEW TABLE AS new_rows' : transition;
      await knex.raw(
        `CREATE TRIGGER ${name} AFTER ${event.toUpperCase()} ON ${table}
           REFERENCING ${both} FOR EACH STATEMENT
           EXECUTE FUNCTION ${fn}(${model ? `'${model}'` : ''})`,
      );
      await knex.raw(`ALTER TABLE ${table} ENABLE ALWAYS TRIGGER ${name}`);
    }
  }
  await knex.raw(`CREATE TRIGGER metric_feeds_poll AFTER UPDATE OF last_polled_at ON feeds
    FOR EACH ROW EXECUTE FUNCTION metric_feed_poll()`);
  await knex.raw('ALTER TABLE feeds ENABLE ALWAYS TRIGGER metric_feeds_poll');
  await knex.raw(SEED);
}

export async function down(knex: Knex): Promise<void> {
  for (const [table] of TRIGGERS) {
    for (const event of ['insert', 'update', 'delete']) {
      await knex.raw(`DROP TRIGGER IF EXISTS metric_${table}_${event} ON ${table}`);
    }
  }
  await knex.raw('DROP TRIGGER IF EXISTS metric_feeds_poll ON feeds');
  await knex.raw(`DROP FUNCTION IF EXISTS metric_model_writes, metric_bookmark_writes,
    metric_feed_writes, metric_feed_poll, metric_feed_item_writes, metric_import_writes,
    metric_label`);
  for (const table of [
    'metric_reporter',
    'metric_rollups',
    'metric_owner_totals',
    'metric_totals',
    'metric_events',
  ]) {
    await knex.schema.dropTableIfExists(table);
  }
  await knex.schema.alterTable('users', (t) => {
    t.dropColumn('is_admin');
  });
}

/** [table, trigger function, model label for the generic function] */
const TRIGGERS: ReadonlyArray<readonly [string, string, string | undefined]> = [
  ['users', 'metric_model_writes', 'user'],
  ['tags', 'metric_model_writes', 'tag'],
  ['bookmarks', 'metric_bookmark_writes', undefined],
  ['feeds', 'metric_feed_writes', undefined],
  ['feed_items', 'metric_feed_item_writes', undefined],
  ['import_jobs', 'metric_import_writes', undefined],
];

const TABLES = `
CREATE TABLE metric_events (
  at timestamptz NOT NULL DEFAULT now(),
  name text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}',
  user_id bigint NOT NULL DEFAULT 0,
  feed_id bigint NOT NULL DEFAULT 0,
  value bigint NOT NULL
);
CREATE TABLE metric_totals (
  name text NOT NULL,
  labels jsonb NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (name, labels)
);
CREATE TABLE metric_owner_totals (
  name text NOT NULL,
  labels jsonb NOT NULL,
  user_id bigint NOT NULL,
  feed_id bigint NOT NULL,
  value bigint NOT NULL,
  PRIMARY KEY (name, labels, user_id, feed_id)
);
CREATE TABLE metric_rollups (
  name text NOT NULL,
  resolution integer NOT NULL CHECK (resolution IN (60, 3600)),
  bucket timestamptz NOT NULL,
  labels jsonb NOT NULL,
  user_id bigint NOT NULL DEFAULT 0,
  value double precision NOT NULL,
  PRIMARY KEY (name, resolution, bucket, labels, user_id)
);
CREATE INDEX metric_rollups_per_user ON metric_rollups (user_id, name, resolution, bucket)
  WHERE user_id <> 0;
CREATE INDEX metric_rollups_bucket ON metric_rollups (resolution, bucket);
CREATE TABLE metric_reporter (
  id smallint PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  holder text,
  exported_at timestamptz,
  counting_since timestamptz NOT NULL DEFAULT now()
);
INSERT INTO metric_reporter (id) VALUES (1);
`;

const FUNCTIONS = `
CREATE FUNCTION metric_label(setting text, allowed text[]) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN current_setting(setting, true) = ANY (allowed)
              THEN current_setting(setting, true) ELSE 'other' END
$$;

CREATE FUNCTION metric_model_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_inserts', jsonb_build_object('model', TG_ARGV[0]), count(*)
      FROM new_rows HAVING count(*) > 0;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_updates', jsonb_build_object('model', TG_ARGV[0]), count(*)
      FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_deletes', jsonb_build_object('model', TG_ARGV[0]), count(*)
      FROM old_rows HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION metric_bookmark_writes() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  label jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    label := jsonb_build_object('source', metric_label('pebbling.bookmark_source',
      ARRAY['web', 'bookmarklet', 'api', 'import', 'cli']));
    INSERT INTO metric_events (name, labels, user_id, value)
    SELECT 'bookmarks_created', label, owner_id, count(*) FROM new_rows GROUP BY owner_id
    UNION ALL
    SELECT 'model_inserts', '{"model": "bookmark"}'::jsonb, 0, count(*) FROM new_rows HAVING count(*) > 0;
  ELSIF TG_OP = 'UPDATE' THEN
    label := jsonb_build_object('operation', metric_label('pebbling.bookmark_operation',
      ARRAY['edit', 'tags', 'resave', 'unfurl', 'import_overwrite']));
    INSERT INTO metric_events (name, labels, user_id, value)
    SELECT 'bookmarks_updated', label, owner_id, count(*) FROM new_rows GROUP BY owner_id
    UNION ALL
    SELECT 'model_updates', '{"model": "bookmark"}'::jsonb, 0, count(*) FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO metric_events (name, labels, user_id, value)
    SELECT 'bookmarks_deleted', '{}'::jsonb, owner_id, count(*) FROM old_rows GROUP BY owner_id
    UNION ALL
    SELECT 'model_deletes', '{"model": "bookmark"}'::jsonb, 0, count(*) FROM old_rows HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END $$;

CREATE FUNCTION metric_feed_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_inserts', '{"model": "feed"}'::jsonb, count(*) FROM new_rows HAVING count(*) > 0;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_updates', '{"model": "feed"}'::jsonb, count(*) FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_deletes', '{"model": "feed"}'::jsonb, count(*) FROM old_rows HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END $$;

-- A poll is an update that writes last_polled_at (only polls write it); its
-- outcome is last_status. Row-level: a poll writes one row, and a column
-- trigger fires even when the time written equals the time there.
CREATE FUNCTION metric_feed_poll() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO metric_events (name, labels, feed_id, value)
  VALUES ('feed_polls', jsonb_build_object('status', coalesce(NEW.last_status, 'other')), NEW.id, 1);
  RETURN NULL;
END $$;

CREATE FUNCTION metric_feed_item_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO metric_events (name, labels, feed_id, value)
    SELECT 'feed_items_discovered', '{}'::jsonb, feed_id, count(*) FROM new_rows GROUP BY feed_id
    UNION ALL
    SELECT 'model_inserts', '{"model": "feed_item"}'::jsonb, 0, count(*) FROM new_rows HAVING count(*) > 0;
  ELSIF TG_OP = 'UPDATE' THEN
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_updates', '{"model": "feed_item"}'::jsonb, count(*) FROM new_rows HAVING count(*) > 0;
  ELSE
    INSERT INTO metric_events (name, labels, value)
    SELECT 'model_deletes', '{"model": "feed_item"}'::jsonb, count(*) FROM old_rows HAVING count(*) > 0;
  END IF;
  RETURN NULL;
END $$;

-- An import ends when its status becomes final; its items are counted as the
-- job's counters grow (each batch commits its rows and its counters together).
CREATE FUNCTION metric_import_writes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO metric_events (name, labels, user_id, value)
  SELECT 'bookmark_imports',
         jsonb_build_object('format', coalesce(n.format, 'unknown'), 'status', n.status),
         n.user_id, count(*)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
   WHERE n.status IN ('completed', 'failed', 'cancelled') AND n.status IS DISTINCT FROM o.status
   GROUP BY n.user_id, n.format, n.status
  UNION ALL
  SELECT 'bookmark_import_items',
         jsonb_build_object('format', coalesce(n.format, 'unknown'), 'result', d.result),
         n.user_id, sum(d.delta)
    FROM new_rows n JOIN old_rows o ON o.id = n.id
   CROSS JOIN LATERAL (VALUES
       ('created', n.created_bookmarks - o.created_bookmarks),
       ('updated', n.updated_bookmarks - o.updated_bookmarks),
       ('skipped', n.skipped_bookmarks - o.skipped_bookmarks),
       ('failed', n.failed_bookmarks - o.failed_bookmarks)) AS d (result, delta)
   WHERE d.delta > 0
   GROUP BY n.user_id, n.format, d.result;
  RETURN NULL;
END $$;
`;

/**
 * Rows that exist when counting starts were inserted once: counted as such,
 * so that inserts - deletes = rows holds from the first scrape.
 */
const SEED = `
INSERT INTO metric_owner_totals (name, labels, user_id, feed_id, value)
SELECT 'model_inserts', jsonb_build_object('model', m.model), 0, 0, m.n
  FROM (SELECT 'user' AS model, count(*) AS n FROM users
        UNION ALL SELECT 'tag', count(*) FROM tags
        UNION ALL SELECT 'bookmark', count(*) FROM bookmarks
        UNION ALL SELECT 'feed', count(*) FROM feeds
        UNION ALL SELECT 'feed_item', count(*) FROM feed_items) m
 WHERE m.n > 0;
INSERT INTO metric_owner_totals (name, labels, user_id, feed_id, value)
SELECT 'bookmarks_created', '{"source": "other"}', owner_id, 0, count(*)
  FROM bookmarks GROUP BY owner_id;
INSERT INTO metric_owner_totals (name, labels, user_id, feed_id, value)
SELECT 'feed_items_discovered', '{}', 0, feed_id, count(*) FROM feed_items GROUP BY feed_id;
INSERT INTO metric_totals (name, labels, value)
SELECT name, labels, sum(value) FROM metric_owner_totals GROUP BY name, labels;
`;
