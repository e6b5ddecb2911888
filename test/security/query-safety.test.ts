/**
 * Issue #15, High 2: a URL with a hundred tags (`?tag=t0,…,t99`) made
 * PostgreSQL plan for seconds and gigabytes. Now a tag filter is one query
 * shape whatever the count (the SQL text of 1 tag and of 10 is the same),
 * more than 10 is a clear 422 on every list (pages, Markdown, API), and the
 * app's connections carry a statement_timeout.
 */
import test from 'ava';
import { createOrUpdateBookmark } from '../../src/bookmarks';
import { startTestApp, type TestApp } from '../helpers/app';
import { api } from '../helpers/client';
import { aToken, aUser } from '../helpers/factories';

let app: TestApp;
let token: string;
const TEN = Array.from({ length: 10 }, (_, i) => `t${i}`);

test.before(async () => {
  app = await startTestApp({}, 'web');
  const user = await aUser({ username: 'tagger' });
  token = await aToken(user.id);
  const save = (url: string, tags: string[]) =>
    createOrUpdateBookmark({
      ownerId: user.id,
      fields: { url, title: url, tags, private: false },
      source: 'cli',
    });
  await save('https://all.example/', TEN);
  await save('https://nine.example/', TEN.slice(0, 9));
  await save('https://one.example/', ['t0']);
});
test.after.always(async () => {
  await app?.stop();
});

const tagQuery = (tags: readonly string[]) => `tag=${tags.join(',')}`;

test.serial('more than 10 tags is a 422 saying so, on every list and format', async (t) => {
  const eleven = tagQuery([...TEN, 't10']);
  for (const path of [
    `/bookmarks?${eleven}`,
    `/bookmarks?${eleven}&format=markdown`,
    `/t/t0?${tagQuery(TEN.map((tag) => `x${tag}`))}`,
    `/u/tagger?${eleven}`,
    `/u/tagger/t/t0?${tagQuery(TEN.map((tag) => `x${tag}`))}`,
  ]) {
    const response = await fetch(`${app.baseUrl}${path}`);
    t.is(response.status, 422, path);
    t.regex(await response.text(), /Filter by at most 10 tags at once \(11 were given\)/, path);
  }
  const hundred = Array.from({ length: 100 }, (_, i) => `t${i}`);
  const viaApi = await api(app.baseUrl, 'GET', `/api/v1/bookmarks?${tagQuery(hundred)}`, token);
  t.is(viaApi.status, 422);
  t.is((viaApi.body as { error: { code: string } }).error.code, 'validation_failed');
});

test.serial(
  '10 tags: the bookmarks that have all of them, with the same SQL as for one tag',
  async (t) => {
    const statements = async (path: string) => {
      const seen: string[] = [];
      const listen = (query: { sql: string }) => {
        if (query.sql.includes('bookmark_tags')) seen.push(query.sql);
      };
      app.running.db.knex.on('query', listen);
      try {
        const response = await fetch(`${app.baseUrl}${path}`);
        return { status: response.status, text: await response.text(), seen };
      } finally {
        app.running.db.knex.off('query', listen);
      }
    };
    const one = await statements(`/bookmarks?${tagQuery(['t0'])}&format=markdown`);
    const ten = await statements(`/bookmarks?${tagQuery(TEN)}&format=markdown`);
    t.is(one.status, 200);
    t.is(ten.status, 200);
    t.regex(one.text, /one\.example/);
    t.regex(one.text, /nine\.example/);
    t.regex(ten.text, /all\.example/);
    t.notRegex(ten.text, /nine\.example|one\.example/);
    // The filter (count and page queries) is the same text whatever the number of tags.
    const filters = (seen: string[]) =>
      [...new Set(seen.filter((sql) => sql.includes('any(')))].sort();
    t.true(filters(one.seen).length >= 2, one.seen.join('\n'));
    t.deepEqual(filters(ten.seen), filters(one.seen));
    for (const sql of filters(ten.seen)) {
      t.is(sql.match(/bookmark_tags/g)?.length, 1, sql);
    }
    // Repeating a tag does not change the answer (the count is of distinct names).
    const repeated = await statements(`/bookmarks?tag=t0&tag=T0&format=markdown`);
    t.regex(repeated.text, /one\.example/);
  },
);

test("the app's connections carry a statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS, 15 s)", async (t) => {
  const { rows } = await app.running.db.knex.raw<{ rows: Array<{ statement_timeout: string }> }>(
    'show statement_timeout',
  );
  t.is(rows[0]!.statement_timeout, '15s');
});
