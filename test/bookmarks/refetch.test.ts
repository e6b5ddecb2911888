/**
 * "Try again" on a page that could not be fetched: it queues the fetch for the
 * owner only, and BOOKMARK_REFETCHES_PER_HOUR bounds how often a person can
 * make the server fetch pages on demand.
 */
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { bookmarkOf, person } from './support';

// Web only: unfurl jobs stay queued where the test can see them.
let app: TestApp;
test.before(async () => {
  app = await startTestApp({ BOOKMARK_REFETCHES_PER_HOUR: '2' }, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

async function queued(id: number): Promise<boolean> {
  const job = await app.db
    .knex('graphile_worker.jobs')
    .where({ key: `unfurl:${id}` })
    .first();
  return job !== undefined;
}
const forget = (id: number) =>
  app.db.knex.raw('select graphile_worker.remove_job(?)', [`unfurl:${id}`]);

test('try again queues a fetch of the page, up to BOOKMARK_REFETCHES_PER_HOUR an hour', async (t) => {
  const me = await person(app);
  const id = await bookmarkOf(me, { url: 'https://refetch.invalid/page' });
  await forget(id);
  const back = `/bookmarks/${id}/edit`;

  for (let i = 0; i < 2; i++) {
    const pressed = await me.client.post(`/bookmarks/${id}/refetch`, { back });
    t.is(pressed.status, 302);
    t.is(pressed.headers.get('location'), back);
    t.true(await queued(id), `press ${i + 1} queued a fetch`);
    t.regex((await me.client.get(back)).text, /Fetching the page again/);
    await forget(id);
  }

  const third = await me.client.post(`/bookmarks/${id}/refetch`, { back });
  t.is(third.status, 302, 'a refusal is a message on the page, not an error page');
  t.is(third.headers.get('location'), back);
  t.false(await queued(id), 'past the quota nothing is queued');
  t.regex(
    (await me.client.get(back)).text,
    /fetched again 2 times an hour \(BOOKMARK_REFETCHES_PER_HOUR\)\. Try again in \d+ minutes/,
  );

  // The quota is per person: someone else's presses are their own.
  const other = await person(app, 'other');
  const theirs = await bookmarkOf(other, { url: 'https://refetch.invalid/theirs' });
  await forget(theirs);
  t.is((await other.client.post(`/bookmarks/${theirs}/refetch`, {})).status, 302);
  t.true(await queued(theirs));
});

test("someone else's bookmark cannot be fetched again, and it costs nothing", async (t) => {
  const owner = await person(app, 'owner');
  const id = await bookmarkOf(owner, { url: 'https://refetch.invalid/private' });
  await forget(id);
  const stranger = await person(app, 'stranger');
  for (let i = 0; i < 3; i++) {
    const response = await stranger.client.post(`/bookmarks/${id}/refetch`, {});
    t.true([403, 404].includes(response.status), `refused with ${response.status}`);
  }
  t.false(await queued(id));
  const mine = await bookmarkOf(stranger, { url: 'https://refetch.invalid/mine' });
  t.is((await stranger.client.post(`/bookmarks/${mine}/refetch`, {})).status, 302);
  t.true(await queued(mine), 'the refused presses did not use up the quota');
});
