import test from 'ava';
import { classifyAddress, isBlockedAddress, parseRetryAfter } from '../../src/fetcher';

const blocked: Array<[string, string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['10.1.2.3', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['169.254.169.254', 'linkLocal'],
  ['100.64.0.1', 'carrierGradeNat'],
  ['100.127.255.255', 'carrierGradeNat'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['255.255.255.255', 'broadcast'],
  ['192.0.2.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['::1', 'loopback'],
  ['::', 'unspecified'],
  ['fe80::1', 'linkLocal'],
  ['fc00::1', 'uniqueLocal'],
  ['fd12:3456::1', 'uniqueLocal'],
  ['ff02::1', 'multicast'],
  // IPv4-mapped and other IPv6 spellings of IPv4 are judged by the IPv4 inside.
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:169.254.169.254', 'linkLocal'],
  ['::ffff:100.64.0.1', 'carrierGradeNat'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['2002:7f00:1::1', 'loopback'],
  ['2002:a00:1::1', 'private'],
  // ipaddr.js reads a dotted quad after :: as IPv4-mapped.
  ['::127.0.0.1', 'loopback'],
  // The deprecated IPv4-compatible form in hex: in ::/8, reserved.
  ['::7f00:1', 'reserved'],
  ['::a00:1', 'reserved'],
  ['[::1]', 'loopback'],
  ['fe80::1%eth0', 'linkLocal'],
  ['not-an-ip', 'invalid'],
  ['localhost', 'invalid'],
];

for (const [address, range] of blocked) {
  test(`${address} is refused (${range})`, (t) => {
    const verdict = classifyAddress(address);
    t.false(verdict.allowed);
    t.is(verdict.range, range);
    t.true(isBlockedAddress(address));
  });
}

const allowed = [
  '93.184.216.34',
  '1.1.1.1',
  '8.8.8.8',
  '100.63.255.255', // just below CGNAT
  '100.128.0.0', // just above CGNAT
  '172.32.0.1', // just above 172.16/12
  '2606:4700:4700::1111',
  '2001:4860:4860::8888',
  '::ffff:93.184.216.34',
  '64:ff9b::5db8:d822', // NAT64 of a public address
];

for (const address of allowed) {
  test(`${address} is allowed`, (t) => {
    t.deepEqual(classifyAddress(address), { allowed: true, range: 'unicast' });
  });
}

test('Retry-After: seconds, HTTP dates, junk and limits', (t) => {
  const now = new Date('2026-01-01T00:00:00Z');
  t.is(parseRetryAfter('120', now), 120);
  t.is(parseRetryAfter(' 0 ', now), 0);
  t.is(parseRetryAfter('Thu, 01 Jan 2026 00:05:00 GMT', now), 300);
  t.is(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now), 0, 'a past date means now');
  t.is(parseRetryAfter('99999999', now), 7 * 24 * 3600, 'capped at a week');
  t.is(parseRetryAfter('soon', now), null);
  t.is(parseRetryAfter('', now), null);
  t.is(parseRetryAfter(undefined, now), null);
  t.is(parseRetryAfter('-5', now), null);
});
