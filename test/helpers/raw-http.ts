/** Bytes on a socket, for requests no HTTP client would send: cut-off bodies, lying lengths. */
import net from 'node:net';

export interface RawReply {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  /** The server reset the connection before answering. */
  readonly reset: boolean;
  /** Some of the body could not be sent: the server closed the connection before reading it all. */
  readonly sendFailed: boolean;
}

/**
 * Sends `head` and `body` and reads the answer until the server closes.
 * `stopAfter`: send only that many body bytes, then close our side for good
 * (a client that went away mid-upload): there is no answer to read then.
 * `trickle`: send the body in slices of `bytes`, one every `everyMs` (a slow
 * client, still sending when the server has decided its answer).
 */
export function rawRequest(
  baseUrl: string,
  head: string,
  body: Buffer,
  options: { stopAfter?: number; trickle?: { bytes: number; everyMs: number } } = {},
): Promise<RawReply> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let reset = false;
    let sendFailed = false;
    const sent = (error?: Error | null) => {
      if (error) sendFailed = true;
    };
    let trickled = 0;
    const trickle = (step: { bytes: number; everyMs: number }) => {
      if (trickled >= body.length || socket.destroyed) return;
      socket.write(body.subarray(trickled, trickled + step.bytes), sent);
      trickled += step.bytes;
      setTimeout(() => trickle(step), step.everyMs);
    };
    const socket = net.connect(Number(port), hostname, () => {
      socket.write(head);
      if (options.trickle) trickle(options.trickle);
      else if (options.stopAfter === undefined) socket.write(body, sent);
      else socket.write(body.subarray(0, options.stopAfter), () => socket.destroy());
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => {
      reset = true;
      sendFailed = true;
    });
    socket.on('close', () => {
      // Closed by the server before it had the whole body.
      if (options.trickle && trickled < body.length) sendFailed = true;
      const text = Buffer.concat(chunks).toString('utf8');
      const [top = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = top.split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      resolve({
        status: Number(statusLine.split(' ')[1] ?? 0),
        headers,
        body: rest.join('\r\n\r\n'),
        reset: reset && chunks.length === 0,
        sendFailed,
      });
    });
  });
}

/** A request head with Connection: close and the given headers. */
export function requestHead(method: string, path: string, headers: Record<string, string>): string {
  const lines = Object.entries({ host: 'localhost', connection: 'close', ...headers }).map(
    ([k, v]) => `${k}: ${v}`,
  );
  return `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
}

/** A multipart body: fields in order, then a file part whose end is left off when `cut`. */
export function multipart(
  boundary: string,
  fields: Record<string, string>,
  file: { name: string; filename: string; content: Buffer },
  cut: boolean,
): Buffer {
  const parts = Object.entries(fields).map(
    ([name, value]) =>
      `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`,
  );
  const fileHead = `--${boundary}\r\nContent-Disposition: form-data; name="${file.name}"; filename="${file.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return Buffer.concat([
    Buffer.from(parts.join('') + fileHead),
    file.content,
    Buffer.from(cut ? '' : `\r\n--${boundary}--\r\n`),
  ]);
}
