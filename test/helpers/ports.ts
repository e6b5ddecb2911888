import net from 'node:net';

// Below Linux's ephemeral range (32768–60999). A port the kernel handed out by
// listen(0) is also what it hands to outgoing connections: between a test
// closing its probe and the app binding it, any pg or fetch socket in the test
// run could take it (EADDRINUSE in CI). Ports from here are never assigned that way.
const FIRST = 20_000;
const LAST = 32_000;
const handedOut = new Set<number>();

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * `count` consecutive ports, free on 127.0.0.1 a moment ago, for a process that
 * must be told its port before it starts (PostgreSQL, Prometheus, a worker's
 * children at port + i). Anything that can take PORT=0 and log its address should.
 */
export async function freePort(count = 1): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = FIRST + Math.floor(Math.random() * (LAST - FIRST - count));
    const ports = Array.from({ length: count }, (_, i) => first + i);
    if (ports.some((port) => handedOut.has(port))) continue;
    if ((await Promise.all(ports.map(canListen))).every(Boolean)) {
      for (const port of ports) handedOut.add(port);
      return first;
    }
  }
  throw new Error(`no ${count} free consecutive ports between ${FIRST} and ${LAST}`);
}
