/**
 * Decides whether the fetcher may connect to an address. Only globally
 * routable unicast is allowed: private, loopback, link-local, CGNAT,
 * multicast, unspecified, reserved and documentation ranges are refused, and
 * IPv6 forms that embed an IPv4 address (mapped, NAT64, 6to4) are judged by
 * the IPv4 address inside.
 */
import dns from 'node:dns';
import net from 'node:net';
import ipaddr from 'ipaddr.js';
import { BlockedAddressError } from './errors';

export interface AddressVerdict {
  readonly allowed: boolean;
  /** ipaddr.js's name for the range, e.g. 'loopback', 'private', 'unicast'. */
  readonly range: string;
}

const ALLOWED_V4 = new Set(['unicast', 'as112', 'amt']);
const ALLOWED_V6 = new Set(['unicast', 'as112v6', 'amt']);

function classifyV4(address: ipaddr.IPv4): AddressVerdict {
  const range = address.range();
  return { allowed: ALLOWED_V4.has(range), range };
}

/** The IPv4 address an IPv6 address carries, for the forms that route to it. */
function embeddedV4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const p = address.parts;
  const fromWords = (hi: number, lo: number) =>
    new ipaddr.IPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') {
    return fromWords(p[6]!, p[7]!);
  }
  if (range === '6to4') return fromWords(p[1]!, p[2]!);
  return undefined;
}

/**
 * Classifies a literal IP address. Anything that does not parse as an IP is
 * refused: the caller should have resolved it first.
 */
export function classifyAddress(literal: string): AddressVerdict {
  const text = literal.startsWith('[') && literal.endsWith(']') ? literal.slice(1, -1) : literal;
  // Zone ids (fe80::1%eth0) only exist on link-local addresses.
  const bare = text.split('%')[0]!;
  if (net.isIP(bare) === 0) return { allowed: false, range: 'invalid' };
  const parsed = ipaddr.parse(bare);
  if (parsed.kind() === 'ipv4') return classifyV4(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  const inner = embeddedV4(v6);
  if (inner) return classifyV4(inner);
  const range = v6.range();
  // ::/8 is reserved; it holds the deprecated IPv4-compatible form ::a.b.c.d,
  // which ipaddr.js calls unicast.
  if (range === 'unicast' && v6.parts[0] === 0) return { allowed: false, range: 'reserved' };
  return { allowed: ALLOWED_V6.has(range), range };
}

export function isBlockedAddress(literal: string): boolean {
  return !classifyAddress(literal).allowed;
}

/** Throws BlockedAddressError when `address` is a literal IP that is refused. */
export function assertAllowedAddress(address: string): void {
  const verdict = classifyAddress(address);
  if (!verdict.allowed) throw new BlockedAddressError(address, verdict.range);
}

type LookupAll = (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void;
type LookupOne = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * A `lookup` for net.connect that drops refused addresses, so no packet is
 * sent to them. The connector still checks the address it actually reached:
 * this is the first line, not the only one.
 */
export function guardedLookup(
  hostname: string,
  options: dns.LookupOptions,
  callback: LookupAll | LookupOne,
): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) {
      (callback as LookupAll)(err, []);
      return;
    }
    const allowed = addresses.filter((a) => classifyAddress(a.address).allowed);
    if (allowed.length === 0) {
      const first = addresses[0];
      const error = new BlockedAddressError(
        hostname,
        first ? classifyAddress(first.address).range : 'unresolved',
      );
      (callback as LookupAll)(error as NodeJS.ErrnoException, []);
      return;
    }
    if (options.all) (callback as LookupAll)(null, allowed);
    else (callback as LookupOne)(null, allowed[0]!.address, allowed[0]!.family);
  });
}
