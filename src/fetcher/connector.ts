/**
 * The undici connector that enforces the address guard. It sits where the
 * socket is made, so it sees every connection: literal IPs in any spelling
 * (the URL parser has already turned 2130706433 and 0x7f.1 into 127.0.0.1),
 * hostnames, each redirect hop (each is a new request), and DNS rebinding
 * (the address checked is the one the socket actually reached).
 */
import net from 'node:net';
import { buildConnector } from 'undici';
import { classifyAddress, guardedLookup } from './address-guard';
import { BlockedAddressError } from './errors';

export function createGuardedConnector(options: {
  readonly connectTimeoutMs: number;
  readonly allowPrivateNetworks: boolean;
  /**
   * Replaces the guarded DNS lookup. Tests use it to play a rebinding DNS
   * server (an answer that changed after it was checked); leave it unset.
   */
  readonly lookup?: typeof guardedLookup;
  /** Replaces the address classifier. Tests only, to treat one loopback address as public. */
  readonly classify?: typeof classifyAddress;
}): buildConnector.connector {
  const classify = options.classify ?? classifyAddress;
  if (options.allowPrivateNetworks) return buildConnector({ timeout: options.connectTimeoutMs });
  const base = buildConnector({
    timeout: options.connectTimeoutMs,
    lookup: options.lookup ?? guardedLookup,
  });
  return (connectOptions, callback) => {
    const host = connectOptions.hostname;
    if (net.isIP(host) !== 0) {
      const verdict = classify(host);
      if (!verdict.allowed) {
        callback(new BlockedAddressError(host, verdict.range), null);
        return;
      }
    }
    base(connectOptions, (error, socket) => {
      if (error || !socket) {
        callback(error ?? new Error('connection failed'), null);
        return;
      }
      const remote = socket.remoteAddress;
      const verdict = remote ? classify(remote) : { allowed: false, range: 'unknown' };
      if (!verdict.allowed) {
        socket.destroy();
        // Named by the host from the URL: the address it reached is our DNS's answer.
        callback(new BlockedAddressError(host, verdict.range), null);
        return;
      }
      callback(null, socket);
    });
  };
}
