import ipaddr from 'ipaddr.js';

/**
 * The client address as the throttles count it. IPv4 (also written as
 * ::ffff:a.b.c.d) is itself; IPv6 is its /64, since one machine is usually
 * given a whole /64 and could otherwise take a fresh address per guess.
 * Anything unparsable counts as itself.
 */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip || 'unknown';
  const parsed = ipaddr.process(ip);
  if (parsed.kind() === 'ipv4') return parsed.toString();
  const parts = (parsed as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((part) => part.toString(16)).join(':')}::/64`;
}
