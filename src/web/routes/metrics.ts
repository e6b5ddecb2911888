import { timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Middleware } from 'koa';
import { createRateLimitedLog } from '../../../otel/diag-logger';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from '../../../otel/prometheus';
import { getTelemetry } from '../../../otel/state';
import type { Config } from '../../config';
import type { Logger } from '../../logging/logger';

const gzip = promisify(zlib.gzip);

/** GET, or HEAD (the same status and headers; Koa sends no body). */
export function isScrape(ctx: { path: string; method: string }, path: string): boolean {
  return ctx.path === path && (ctx.method === 'GET' || ctx.method === 'HEAD');
}

/**
 * Serves the Prometheus exposition. A failed collection answers 503 so
 * Prometheus marks the scrape failed (`up == 0`) instead of storing a gap that
 * looks like data. Gzipped when the scraper accepts it (Prometheus does: a
 * scrape is about a twentieth of the size). Optional protection: a bearer token
 * and/or client networks.
 */
export function metricsEndpoint(config: Config, logger: Logger): Middleware {
  const log = createRateLimitedLog(logger.child({ component: 'metrics' }));
  const allowed = createNetworkMatcher(config.metrics.allowedNetworks);
  const token = config.metrics.authToken;
  return async (ctx) => {
    if (!allowed(ctx.req.socket.remoteAddress ?? '')) {
      ctx.status = 403;
      ctx.body = 'forbidden\n';
      return;
    }
    if (token !== undefined && !bearerMatches(ctx.get('authorization'), token)) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Bearer realm="metrics"');
      ctx.body = 'unauthorized\n';
      return;
    }
    const telemetry = getTelemetry();
    if (!telemetry.pullReader) {
      ctx.status = 404;
      return;
    }
    const result = await renderPrometheus(telemetry.pullReader, telemetry.options);
    ctx.set('Cache-Control', 'no-store');
    if (!result.ok) {
      log('error', 'metrics collection failed; answering 503', result.errors[0]);
      ctx.status = 503;
      ctx.type = 'text/plain';
      ctx.body = '# metrics collection failed; see the server log\n';
      return;
    }
    ctx.status = 200;
    ctx.set('Content-Type', PROMETHEUS_CONTENT_TYPE);
    ctx.vary('Accept-Encoding');
    if (ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = await gzip(result.body);
    } else {
      ctx.body = result.body;
    }
  };
}

function bearerMatches(header: string, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1]!.trim());
  const expected = Buffer.from(token);
  // Constant time: compare equal-length buffers; the length check leaks only the length.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function createNetworkMatcher(networks: readonly string[]): (address: string) => boolean {
  if (networks.length === 0) return () => true;
  const list = new net.BlockList();
  for (const entry of networks) {
    const [address, bits] = entry.split('/') as [string, string | undefined];
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
  }
  return (raw) => {
    // IPv4 clients on a dual-stack socket arrive as ::ffff:a.b.c.d.
    const address = raw.startsWith('::ffff:') ? raw.slice(7) : raw;
    const type = net.isIPv6(address) ? 'ipv6' : 'ipv4';
    return net.isIP(address) !== 0 && list.check(address, type);
  };
}
