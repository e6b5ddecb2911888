import test from 'ava';
import { parseTags } from '../../src/bookmarks/tags';
import { InvalidUrlError, normalizeUrl, parseBookmarkUrl, urlHash } from '../../src/bookmarks/url';

test('normalisation follows the original rules', (t) => {
  t.is(
    normalizeUrl('HTTPS://Example.COM:443/Path/?b=2&a=1&utm_source=x&fbclid=y#frag'),
    'https://example.com/Path?a=1&b=2#frag',
  );
  t.is(normalizeUrl('http://example.com:80'), 'http://example.com/');
  t.is(normalizeUrl('http://example.com:8080/a/'), 'http://example.com:8080/a');
  t.is(
    normalizeUrl('https://example.com/?ref=hn&gclid=1&msclkid=2&twclid=3&referrer=z'),
    'https://example.com/',
  );
});

test('spellings of one page share a hash; different pages do not', (t) => {
  t.is(urlHash('https://example.com/a/?utm_campaign=z'), urlHash('https://EXAMPLE.com/a'));
  t.not(urlHash('https://example.com/a'), urlHash('https://example.com/b'));
  t.not(urlHash('https://example.com/a#x'), urlHash('https://example.com/a#y'));
  t.regex(urlHash('https://example.com/'), /^[0-9a-f]{64}$/);
});

test('only http(s) URLs are accepted, with clear messages', (t) => {
  for (const bad of [
    'javascript:alert(1)',
    'data:text/html,hi',
    'ftp://example.com/',
    'file:///etc/passwd',
  ]) {
    t.throws(() => normalizeUrl(bad), { instanceOf: InvalidUrlError, message: /Only http/ });
  }
  t.throws(() => normalizeUrl('not a url'), { message: /not a valid URL/ });
  t.throws(() => normalizeUrl(''), { message: /Enter a URL/ });
  t.throws(() => normalizeUrl(`https://example.com/${'a'.repeat(10_240)}`), { message: /at most/ });
});

test('tags split on spaces and commas, trimmed, lower-cased, de-duplicated', (t) => {
  t.deepEqual(parseTags('News  tech,Go, news'), ['news', 'tech', 'go']);
  t.deepEqual(parseTags(['a b', 'c']), ['a', 'b', 'c']);
  t.deepEqual(parseTags(''), []);
  t.is(parseTags('x'.repeat(100))[0]!.length, 64);
});

/** The rules as first written (a URL setter for every part): the fast path must agree with it. */
function referenceNormalize(input: string): string {
  const url = new URL(parseBookmarkUrl(input).href);
  url.hostname = url.hostname.toLowerCase();
  if (url.pathname.length > 1 && url.pathname.endsWith('/')) {
    url.pathname = url.pathname.replace(/\/+$/, '') || '/';
  }
  const tracking = new Set(['fbclid', 'gclid', 'msclkid', 'twclid', 'ref', 'referrer']);
  const kept = [...url.searchParams].filter(
    ([key]) => !key.toLowerCase().startsWith('utm_') && !tracking.has(key.toLowerCase()),
  );
  kept.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  url.search = new URLSearchParams(kept).toString();
  return url.href;
}

test('the fast normaliser agrees with the setter-by-setter rules on every combination', (t) => {
  const hosts = [
    'https://Example.COM',
    'http://user:pa%20ss@example.com:8080',
    'https://bücher.de',
    'http://192.168.0.1',
    'https://xn--bcher-kva.de:443',
  ];
  const paths = ['', '/', '/a/', '/a//', '/%7Efoo/', '/a b/c', '/?x/'];
  const queries = [
    '',
    '?',
    '?a',
    '?a=',
    '?=x',
    '?b=2&a=1',
    '?a=1&a=0',
    '?utm_source=x',
    '?UTM_x=1&Ref=2&z=3',
    '?a=b=c',
    '?a+b=c d',
    '?q=%20%2B',
    '?q=caf%C3%A9',
    '?q=café',
    '?&&a=1&&',
    '?a=1&b',
    '?x=~',
    '?x=\'"<>',
    '?B=1&a=2&_=3&*=4&-=5&.=6',
    '?fbclid=1',
    '?ref=feed&id=7',
  ];
  const fragments = ['', '#', '#frag', '#a?b', '#?', '#x&y=1'];
  let checked = 0;
  for (const host of hosts) {
    for (const path of paths) {
      for (const query of queries) {
        for (const fragment of fragments) {
          const input = `${host}${path}${query}${fragment}`;
          t.is(normalizeUrl(input), referenceNormalize(input), input);
          checked++;
        }
      }
    }
  }
  t.is(checked, hosts.length * paths.length * queries.length * fragments.length);
});
