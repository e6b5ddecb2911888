/**
 * A body the global parser cannot read, on the real app: the 400 says what
 * was wrong with what was sent. The API is told it takes JSON (never "form
 * data", which it refuses); a page is told about its form; malformed JSON is
 * called that wherever it is sent.
 */
import test from 'ava';
import { startTestApp, type TestApp } from '../helpers/app';
import { aToken, aUser } from '../helpers/factories';

let app: TestApp;
let token: string;
test.before(async () => {
  app = await startTestApp({}, 'web');
  token = await aToken((await aUser()).id);
});
test.after.always(async () => {
  await app?.stop();
});

async function send(path: string, body: string, headers: Record<string, string>) {
  const response = await fetch(`${app.baseUrl}${path}`, {
    method: 'POST',
    headers: {
      accept: 'application/json',
      // A token where one is taken; the pages take none.
      ...(path.startsWith('/auth/') ? {} : { authorization: `Bearer ${token}` }),
      ...headers,
    },
    body,
  });
  const { error } = (await response.json()) as { error: { code: string; message: string } };
  return { status: response.status, code: error.code, message: error.message };
}

const JSON_TYPE = { 'content-type': 'application/json' };
const FORM_TYPE = { 'content-type': 'application/x-www-form-urlencoded' };
/** Declared gzip, but not: the form cannot be read at all. */
const BROKEN_GZIP = { ...FORM_TYPE, 'content-encoding': 'gzip' };

test('malformed JSON is called that, on the API and on a page', async (t) => {
  for (const path of ['/api/v1/bookmarks', '/feeds/fetch', '/auth/login']) {
    t.deepEqual(await send(path, '{"url": "https://x.example/', JSON_TYPE), {
      status: 400,
      code: 'bad_request',
      message: 'The request body could not be parsed: it is not valid JSON.',
    });
  }
  t.like(await send('/api/v1/bookmarks', '42', JSON_TYPE), {
    status: 400,
    message: 'The request body could not be parsed: send a JSON object.',
  });
  t.like(await send('/api/v1/bookmarks', '{"__proto__": {"polluted": true}}', JSON_TYPE), {
    status: 400,
    message: 'The request body could not be parsed: JSON keys named __proto__ are refused.',
  });
});

test('an unreadable form: the API says it takes JSON, a page asks for the form again', async (t) => {
  t.deepEqual(await send('/api/v1/bookmarks', 'url=https%3A%2F%2Fx.example%2F', BROKEN_GZIP), {
    status: 400,
    code: 'bad_request',
    message:
      'The request body could not be parsed: the API takes JSON, with Content-Type: application/json.',
  });
  t.deepEqual(await send('/auth/login', 'username=a&password=b', BROKEN_GZIP), {
    status: 400,
    code: 'bad_request',
    message: 'The form data could not be parsed: send the form again.',
  });
  t.deepEqual(
    await send('/auth/login', 'username=a', { ...FORM_TYPE, 'content-encoding': 'bogus' }),
    {
      status: 415,
      code: 'unsupported_media_type',
      message: 'The request body could not be read: Unsupported Content-Encoding: bogus.',
    },
  );
});
