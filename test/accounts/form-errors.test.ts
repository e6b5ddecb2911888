/**
 * The form-error convention on the forms outside /settings, against the real
 * HTTP server: each message is <p id="<field>-error" class="field-error">,
 * its input says aria-invalid="true" aria-describedby="<field>-error", and
 * the first invalid input has autofocus. The Follow and OPML forms (/feeds),
 * the import form (/import), and the bio, whose old page (/u/:username/edit)
 * now leads to the form on /settings.
 */
import test from 'ava';
import { person } from '../bookmarks/support';
import { startTestApp, type TestApp } from '../helpers/app';

let app: TestApp;
test.before(async () => {
  app = await startTestApp({}, 'web');
});
test.after.always(async () => {
  await app?.stop();
});

/** The opening tag of the input (or textarea) named `name`. */
const inputOf = (html: string, name: string) =>
  new RegExp(`<(?:input|textarea)[^>]*name="${name}"[^>]*>`).exec(html)?.[0] ?? '';

function assertInvalid(
  t: import('ava').ExecutionContext,
  html: string,
  name: string,
  message: RegExp,
  focused: boolean,
) {
  const error = new RegExp(`<p id="${name}-error" class="field-error">([^<]*)</p>`).exec(html);
  t.truthy(error, `${name}: its message`);
  t.regex(error?.[1] ?? '', message);
  const input = inputOf(html, name);
  t.regex(input, /aria-invalid="true"/, input);
  t.regex(input, new RegExp(`aria-describedby="${name}-error"`), input);
  t.is(/\bautofocus\b/.test(input), focused, `${name}: autofocus ${focused}`);
  t.is(html.split('autofocus').length - 1, 1, 'one autofocus on the page');
}

test('the Follow form: a bad address and a refused one, each on the field, kept as typed', async (t) => {
  const { client } = await person(app, 'follower');
  const typo = await client.post('/feeds', { url: 'not an address' });
  t.is(typo.status, 422);
  assertInvalid(
    t,
    typo.text,
    'url',
    /^That is not a valid address: it should look like https:\/\/example\.com\/feed\.$/,
    true,
  );
  t.regex(inputOf(typo.text, 'url'), /value="not an address"/);

  // The service's refusal (a private address) lands on the same field.
  const refused = await client.post('/feeds', { url: 'http://127.0.0.1:9/feed.xml' });
  t.is(refused.status, 422);
  assertInvalid(
    t,
    refused.text,
    'url',
    /refused to connect to 127\.0\.0\.1: a loopback address/,
    true,
  );

  const fine = await client.get('/feeds');
  t.notRegex(fine.text, /aria-invalid|field-error|autofocus/);
});

/** Posts the import form as a browser does: the token first, then the fields and the file. */
async function importForm(
  client: Awaited<ReturnType<typeof person>>['client'],
  fields: Record<string, string>,
  file?: string,
) {
  const form = new FormData();
  form.set('_csrf', await client.csrf());
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  if (file !== undefined) {
    form.set('file', new Blob([file], { type: 'text/html' }), 'bookmarks.html');
  }
  return client.request('POST', '/import/submit', { body: form });
}

const NETSCAPE =
  '<!DOCTYPE NETSCAPE-Bookmark-file-1>\n<DL><p><DT><A HREF="https://a.example/">A</A></DL>';

test('the import form: the file, the tags and the duplicates choice, each on its field', async (t) => {
  const owner = await person(app, 'importer');
  const noFile = await importForm(owner.client, { tags: 'kept words' });
  t.is(noFile.status, 400);
  assertInvalid(t, noFile.text, 'file', /Choose a file to import/, true);

  const longTags = await importForm(owner.client, { tags: 'x'.repeat(2001) }, NETSCAPE);
  t.is(longTags.status, 422);
  assertInvalid(t, longTags.text, 'tags', /Tags are at most 2000 characters/, true);
  t.notRegex(inputOf(longTags.text, 'file'), /aria-invalid/);

  const choice = await importForm(owner.client, { duplicates: 'merge' }, NETSCAPE);
  t.is(choice.status, 422);
  t.regex(
    choice.text,
    /<p id="duplicates-error" class="field-error">duplicates is &quot;skip&quot; or &quot;overwrite&quot;/,
  );
  const radios = choice.text.match(/<input type="radio" name="duplicates"[^>]*>/g) ?? [];
  t.is(radios.length, 2);
  for (const radio of radios)
    t.regex(radio, /aria-invalid="true" aria-describedby="duplicates-error"/);
  t.regex(radios[0]!, /autofocus/);
  t.is(
    Number((await app.db.knex('import_jobs').where({ user_id: owner.id }).count({ n: '*' }))[0]!.n),
    0,
    'nothing imported',
  );
});

test('the OPML form on /feeds: no file, a file that is not OPML, a forged token, each shown on the form', async (t) => {
  const owner = await person(app, 'opmlform');
  const { client } = owner;
  const post = async (file?: string, token?: string) => {
    const form = new FormData();
    form.set('_csrf', token ?? (await client.csrf()));
    if (file !== undefined)
      form.set('opml', new Blob([file], { type: 'text/x-opml' }), 'subs.opml');
    return client.request('POST', '/feeds/import', { body: form });
  };
  const noFile = await post();
  t.is(noFile.status, 400);
  assertInvalid(t, noFile.text, 'opml', /^Choose an OPML file to import\.$/, true);
  t.notRegex(inputOf(noFile.text, 'url'), /aria-invalid/, 'the Follow form is not at fault');

  const notOpml = await post('<html><body>hello</body></html>');
  t.is(notOpml.status, 422);
  assertInvalid(t, notOpml.text, 'opml', /not OPML/, true);

  const forged = await post('<opml version="2.0"><body/></opml>', 'forged-token');
  t.is(forged.status, 403);
  t.regex(forged.text, /<p class="form-error" role="alert">This form has expired/);
  t.notRegex(forged.text, /aria-invalid/);
  t.is(
    Number(
      (
        await app.db
          .knex('feed_subscriptions')
          .where({ user_id: owner.id })
          .count({ n: '*' })
          .first()
      )?.n ?? -1,
    ),
    0,
    'nothing followed',
  );
});

test('the bio: its old page leads to the form on /settings, and an old form still saves there', async (t) => {
  const owner = await person(app, 'bio');
  const old = await owner.client.get(`/u/${owner.username}/edit`);
  t.is(old.status, 302);
  t.is(old.location, '/settings#profile');
  const settings = await owner.client.get('/settings');
  t.regex(settings.text, /<section id="profile"/);

  // A form still open in a tab: the browser follows the 308 with the same body.
  const post = (bio: string) =>
    owner.client.csrf().then((csrf) =>
      fetch(`${app.baseUrl}/u/${owner.username}/edit`, {
        method: 'POST',
        headers: {
          cookie: owner.client.cookieHeader(),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ _csrf: csrf, bio }).toString(),
      }),
    );
  const saved = await post('Skips stones.');
  t.is(new URL(saved.url).pathname, '/settings');
  t.is((await app.db.knex('profiles').where({ user_id: owner.id }).first()).bio, 'Skips stones.');

  const tooLong = await post('x'.repeat(5001));
  t.is(tooLong.status, 422);
  assertInvalid(t, await tooLong.text(), 'bio', /The bio is at most 5000 characters/, true);
});
