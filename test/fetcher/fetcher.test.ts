import zlib from 'node:zlib';
import test from 'ava';
import {
  classifyAddress,
  createFetcher,
  FetchError,
  type FetchErrorKind,
  type Fetcher,
} from '../../src/fetcher';
import { type FixtureServer, startFixtureServer } from './fixture-server';

const config = {
  allowPrivateNetworks: true,
  timeoutMs: 5000,
  maxBytes: 64 * 1024,
  userAgent: 'pebbling-club-test/1.0 (+https://example.test/bot)',
};

let server: FixtureServer;
let open: Fetcher;
let guarded: Fetcher;

test.before(async () => {
  server = await startFixtureServer();
  open = createFetcher(config);
  guarded = createFetcher({ ...config, allowPrivateNetworks: false });

  server.route('/ok', (req, res) => {
    res.setHeader('ETag', '"v1"');
    res.setHeader('Last-Modified', 'Wed, 01 Jan 2025 00:00:00 GMT');
    if (req.headers['if-none-match'] === '"v1"') {
      res.statusCode = 304;
      // A body on a 304 is a protocol error; we send a header that says "huge"
      // to prove the fetcher does not try to read one.
      res.end();
      return;
    }
    if (req.headers['if-modified-since'] === 'Wed, 01 Jan 2025 00:00:00 GMT') {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.setHeader('Content-Type', 'text/plain');
    res.end('hello');
  });
  server.route('/gzip', (_req, res) => {
    res.setHeader('Content-Encoding', 'gzip');
    res.end(zlib.gzipSync(Buffer.from('compressed hello')));
  });
  server.route('/br', (_req, res) => {
    res.setHeader('Content-Encoding', 'br');
    res.end(zlib.brotliCompressSync(Buffer.from('brotli hello')));
  });
  server.route('/deflate', (_req, res) => {
    res.setHeader('Content-Encoding', 'deflate');
    res.end(zlib.deflateSync(Buffer.from('zlib deflate hello')));
  });
  server.route('/corrupt-gzip', (_req, res) => {
    res.setHeader('Content-Encoding', 'gzip');
    res.end(Buffer.from('this is not gzip at all'));
  });
  server.route('/deflate-raw', (_req, res) => {
    res.setHeader('Content-Encoding', 'deflate');
    res.end(zlib.deflateRawSync(Buffer.from('raw deflate hello')));
  });
  // 100 MB of zeros in ~100 kB of gzip: the cap must apply to what comes out.
  const bomb = zlib.gzipSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 });
  server.route('/gzip-bomb', (_req, res) => {
    res.setHeader('Content-Encoding', 'gzip');
    res.end(bomb);
  });
  const brotliBomb = zlib.brotliCompressSync(Buffer.alloc(50 * 1024 * 1024), {
    params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 },
  });
  server.route('/brotli-bomb', (_req, res) => {
    res.setHeader('Content-Encoding', 'br');
    res.end(brotliBomb);
  });
  server.route('/endless', (_req, res) => {
    res.setHeader('Content-Type', 'application/rss+xml');
    const timer = setInterval(() => res.write(Buffer.alloc(16 * 1024, 0x61)), 1);
    res.on('close', () => clearInterval(timer));
  });
  server.route('/slow-headers', (_req, res) => {
    const timer = setTimeout(() => res.end('too late'), 5000);
    res.on('close', () => clearTimeout(timer));
  });
  server.route('/slow-body', (_req, res) => {
    res.write('a');
    const timer = setTimeout(() => res.end('b'), 5000);
    res.on('close', () => clearTimeout(timer));
  });
  for (const status of [404, 410, 500, 502]) {
    server.route(`/status/${status}`, (_req, res) => {
      res.statusCode = status;
      res.end('error page');
    });
  }
  server.route('/429', (_req, res) => {
    res.statusCode = 429;
    res.setHeader('Retry-After', '120');
    res.end();
  });
  server.route('/503', (_req, res) => {
    res.statusCode = 503;
    res.setHeader('Retry-After', new Date(Date.now() + 600_000).toUTCString());
    res.end();
  });
  server.route('/loop', (_req, res) => {
    res.statusCode = 302;
    res.setHeader('Location', '/loop');
    res.end();
  });
  for (let i = 1; i <= 6; i++) {
    server.route(`/chain/${i}`, (_req, res) => {
      res.statusCode = 301;
      res.setHeader('Location', i === 6 ? '/ok' : `/chain/${i + 1}`);
      res.end();
    });
  }
  server.route('/moved', (_req, res) => {
    res.statusCode = 301;
    res.setHeader('Location', '/moved-again');
    res.end();
  });
  server.route('/moved-again', (_req, res) => {
    res.statusCode = 308;
    res.setHeader('Location', `${server.origin}/ok`);
    res.end();
  });
  server.route('/temporary', (_req, res) => {
    res.statusCode = 301;
    res.setHeader('Location', '/found');
    res.end();
  });
  server.route('/found', (_req, res) => {
    res.statusCode = 302;
    res.setHeader('Location', '/ok');
    res.end();
  });
  server.route('/to-file', (_req, res) => {
    res.statusCode = 302;
    res.setHeader('Location', 'file:///etc/passwd');
    res.end();
  });
});

test.after.always(async () => {
  await open?.close();
  await guarded?.close();
  await server?.close();
});

async function failure(
  t: import('ava').ExecutionContext,
  promise: Promise<unknown>,
  kind: FetchErrorKind,
): Promise<FetchError> {
  const error = await t.throwsAsync(promise, { instanceOf: FetchError });
  t.is(error?.kind, kind, error?.message);
  return error!;
}

test('a plain GET sends the configured User-Agent and returns the body and validators', async (t) => {
  const result = await open.fetch(server.url('/ok'));
  t.is(result.status, 200);
  t.is(result.body.toString(), 'hello');
  t.false(result.notModified);
  t.is(result.headers.etag, '"v1"');
  t.is(result.finalUrl, server.url('/ok'));
  const sent = server.requestsTo('/ok').at(-1)!;
  t.is(sent.headers['user-agent'], config.userAgent);
  t.regex(String(sent.headers['accept-encoding']), /gzip/);
});

test('ETag round trip: If-None-Match is sent and a 304 has no body', async (t) => {
  const result = await open.fetch(server.url('/ok'), { etag: '"v1"' });
  t.is(result.status, 304);
  t.true(result.notModified);
  t.is(result.body.length, 0);
  t.is(server.requestsTo('/ok').at(-1)!.headers['if-none-match'], '"v1"');
});

test('Last-Modified round trip: If-Modified-Since is sent and answered 304', async (t) => {
  const result = await open.fetch(server.url('/ok'), {
    lastModified: 'Wed, 01 Jan 2025 00:00:00 GMT',
  });
  t.true(result.notModified);
  t.is(
    server.requestsTo('/ok').at(-1)!.headers['if-modified-since'],
    'Wed, 01 Jan 2025 00:00:00 GMT',
  );
});

test('gzip, brotli and raw deflate bodies are decompressed', async (t) => {
  t.is((await open.fetch(server.url('/gzip'))).body.toString(), 'compressed hello');
  t.is((await open.fetch(server.url('/br'))).body.toString(), 'brotli hello');
  t.is((await open.fetch(server.url('/deflate'))).body.toString(), 'zlib deflate hello');
  t.is((await open.fetch(server.url('/deflate-raw'))).body.toString(), 'raw deflate hello');
});

test('a body that does not decompress is an http_error', async (t) => {
  await failure(t, open.fetch(server.url('/corrupt-gzip')), 'http_error');
});

test.serial('a gzip bomb stops at the decompressed cap: too_large', async (t) => {
  const started = Date.now();
  await failure(t, open.fetch(server.url('/gzip-bomb')), 'too_large');
  t.true(Date.now() - started < 1000, 'stops early, without inflating 100 MB');
});

test('a brotli bomb stops at the decompressed cap: too_large', async (t) => {
  await failure(t, open.fetch(server.url('/brotli-bomb')), 'too_large');
});

test('an endless body: too_large', async (t) => {
  await failure(t, open.fetch(server.url('/endless')), 'too_large');
});

test('a per-call maxBytes overrides the configured cap', async (t) => {
  await failure(t, open.fetch(server.url('/ok'), { maxBytes: 3 }), 'too_large');
});

test.serial('a server slower than the timeout (headers): timeout', async (t) => {
  const started = Date.now();
  await failure(t, open.fetch(server.url('/slow-headers'), { timeoutMs: 300 }), 'timeout');
  t.true(Date.now() - started < 2000);
});

test.serial('a body that stalls past the total timeout: timeout', async (t) => {
  await failure(t, open.fetch(server.url('/slow-body'), { timeoutMs: 300 }), 'timeout');
});

test('404 is not_found, 410 is gone, 500 and 502 are http_error', async (t) => {
  const notFound = await failure(t, open.fetch(server.url('/status/404')), 'not_found');
  t.is(notFound.status, 404);
  await failure(t, open.fetch(server.url('/status/410')), 'gone');
  const error = await failure(t, open.fetch(server.url('/status/500')), 'http_error');
  t.is(error.status, 500);
  await failure(t, open.fetch(server.url('/status/502')), 'http_error');
});

test('429 and 503 carry Retry-After in seconds (delta and HTTP-date)', async (t) => {
  const limited = await failure(t, open.fetch(server.url('/429')), 'http_error');
  t.is(limited.status, 429);
  t.is(limited.retryAfterSeconds, 120);
  const unavailable = await failure(t, open.fetch(server.url('/503')), 'http_error');
  t.true(unavailable.retryAfterSeconds! > 590 && unavailable.retryAfterSeconds! <= 600);
});

test('a redirect loop stops after 5 redirects: http_error', async (t) => {
  const before = server.requestsTo('/loop').length;
  const error = await failure(t, open.fetch(server.url('/loop')), 'http_error');
  t.regex(error.message, /too many redirects/);
  t.is(server.requestsTo('/loop').length - before, 6, 'the first request and 5 redirects');
});

test('5 redirects are followed, a 6th is not', async (t) => {
  const ok = await open.fetch(server.url('/chain/2'));
  t.is(ok.finalUrl, server.url('/ok'));
  await failure(t, open.fetch(server.url('/chain/1')), 'http_error');
});

test('permanent redirects (301, 308) are reported; a 302 in the chain makes it temporary', async (t) => {
  const moved = await open.fetch(server.url('/moved'));
  t.true(moved.redirectedPermanently);
  t.is(moved.finalUrl, server.url('/ok'));
  const temporary = await open.fetch(server.url('/temporary'));
  t.false(temporary.redirectedPermanently);
  const direct = await open.fetch(server.url('/ok'));
  t.false(direct.redirectedPermanently);
});

test('conditional headers follow redirects to where the validators came from', async (t) => {
  const result = await open.fetch(server.url('/found'), { etag: '"v1"' });
  t.true(result.notModified);
});

test('a redirect to a non-http scheme is blocked', async (t) => {
  await failure(t, open.fetch(server.url('/to-file')), 'blocked');
});

test('a refused connection and an unknown host are network_error', async (t) => {
  await failure(t, open.fetch('http://127.0.0.1:1/'), 'network_error');
  await failure(t, open.fetch('http://no-such-host.invalid/'), 'network_error');
});

test('only http and https; an invalid URL is refused before any request', async (t) => {
  await failure(t, open.fetch('file:///etc/passwd'), 'blocked');
  await failure(t, open.fetch('ftp://example.com/'), 'blocked');
  await failure(t, open.fetch('not a url'), 'blocked');
});

// --- The guard on (FETCH_ALLOW_PRIVATE_NETWORKS=false) -----------------------

test('guard on: every spelling of a loopback address is blocked, and no request arrives', async (t) => {
  // A path no other test requests: the tests of this file run concurrently.
  const probe = '/guard-probe';
  const spellings = [
    server.url(probe),
    `http://2130706433:${server.port}${probe}`,
    `http://0x7f.1:${server.port}${probe}`,
    `http://0x7f000001:${server.port}${probe}`,
    `http://017700000001:${server.port}${probe}`,
    `http://127.1:${server.port}${probe}`,
    `http://[::ffff:127.0.0.1]:${server.port}${probe}`,
    `http://[::ffff:7f00:1]:${server.port}${probe}`,
    `http://[::1]:${server.port}${probe}`,
    `http://localhost:${server.port}${probe}`,
    `http://LocalHost:${server.port}${probe}`,
  ];
  for (const url of spellings) {
    const error = await failure(t, guarded.fetch(url), 'blocked');
    t.regex(error.message, /refused/, url);
    t.regex(error.message, /FETCH_ALLOW_PRIVATE_NETWORKS=true allows private networks/, url);
    // A name is refused by name: the addresses it resolved to are not shown.
    if (/localhost/i.test(url)) t.notRegex(error.message, /127\.0\.0\.1|::1/, url);
  }
  t.is(server.requestsTo(probe).length, 0, 'the fixture server saw none of them');
});

test('guard on: private, link-local, CGNAT, multicast and unspecified literals are blocked', async (t) => {
  for (const url of [
    'http://10.0.0.1/',
    'http://192.168.0.1/',
    'http://172.16.5.4/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://224.0.0.1/',
    'http://0.0.0.0/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
  ]) {
    await failure(t, guarded.fetch(url), 'blocked');
  }
});

test('guard on: the redirect check applies on the first hop (a private start is blocked)', async (t) => {
  const before = server.requestsTo('/moved').length;
  await failure(t, guarded.fetch(server.url('/moved')), 'blocked');
  t.is(server.requestsTo('/moved').length, before);
});

test('guard on: each redirect hop is checked — an allowed host redirecting to a private one is blocked', async (t) => {
  // 127.0.0.1 plays the "public" host; 127.0.0.2 (also this machine) the private one.
  const second = await startFixtureServer('127.0.0.2').catch(() => undefined);
  if (!second) {
    t.pass('127.0.0.2 is not available here');
    return;
  }
  try {
    second.route('/secret', (_req, res) => res.end('internal data'));
    server.route('/to-private', (_req, res) => {
      res.statusCode = 302;
      res.setHeader('Location', second.url('/secret'));
      res.end();
    });
    const onlyFirstIsPublic = (address: string) =>
      address === '127.0.0.1' ? { allowed: true, range: 'unicast' } : classifyAddress(address);
    const fetcher = createFetcher(
      { ...config, allowPrivateNetworks: false },
      { classify: onlyFirstIsPublic },
    );
    try {
      // The unguarded fetcher reaches the secret, so the route works…
      t.is((await open.fetch(server.url('/to-private'))).body.toString(), 'internal data');
      // …and the guarded one is stopped at the second hop.
      const error = await failure(t, fetcher.fetch(server.url('/to-private')), 'blocked');
      t.regex(error.message, /127\.0\.0\.2/);
      t.is(second.requestsTo('/secret').length, 1, 'only the unguarded request arrived');
    } finally {
      await fetcher.close();
    }
  } finally {
    await second.close();
  }
});

test('guard on: DNS rebinding — the address actually connected to is checked', async (t) => {
  // A resolver that answers a loopback address without the guard's filter,
  // as a rebinding DNS server would after the name was first checked.
  const rebinding = ((
    _host: string,
    options: { all?: boolean },
    callback: (...args: unknown[]) => void,
  ) => {
    if (options.all) callback(null, [{ address: '127.0.0.1', family: 4 }]);
    else callback(null, '127.0.0.1', 4);
  }) as never;
  const fetcher = createFetcher({ ...config, allowPrivateNetworks: false }, { lookup: rebinding });
  try {
    const before = server.requests.length;
    const error = await failure(
      t,
      fetcher.fetch(`http://rebind.example.test:${server.port}/ok`),
      'blocked',
    );
    // Named by the host asked for: what our DNS answered stays with us (issue #15, item 9).
    t.regex(
      error.message,
      /refused to connect to rebind\.example\.test: not a public internet address/,
    );
    t.regex(error.message, /FETCH_ALLOW_PRIVATE_NETWORKS/);
    t.notRegex(error.message, /127\.0\.0\.1/);
    t.is(server.requests.length, before, 'no HTTP request was sent on the refused socket');
  } finally {
    await fetcher.close();
  }
});
