import test from 'ava';
import { parseTags } from '../../src/bookmarks/tags';
import { InvalidUrlError, normalizeUrl, urlHash } from '../../src/bookmarks/url';

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
