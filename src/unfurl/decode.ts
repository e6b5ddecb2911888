/** From response bytes to text: is it HTML, and in which charset. */
import { TextDecoder } from 'node:util';

const HTML_TYPES = new Set(['text/html', 'application/xhtml+xml']);

function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/** HTML by its Content-Type; without one, by its first bytes. */
export function isHtml(body: Buffer, contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  if (type) return HTML_TYPES.has(type);
  const head = body.subarray(0, 1024).toString('latin1').trimStart().toLowerCase();
  return head.startsWith('<!doctype html') || head.startsWith('<html') || head.includes('<head');
}

function charsetOf(body: Buffer, contentType: string | undefined): string {
  const fromHeader = /charset\s*=\s*["']?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  if (fromHeader) return fromHeader;
  // The HTML spec's prescan looks at the first 1024 bytes; be a little generous.
  const head = body.subarray(0, 4096).toString('latin1');
  const meta =
    /<meta[^>]+charset\s*=\s*["']?([\w.:-]+)/i.exec(head)?.[1] ??
    /<meta[^>]+content\s*=\s*["'][^"']*charset=([\w.:-]+)/i.exec(head)?.[1];
  return meta ?? 'utf-8';
}

export function decodeHtml(body: Buffer, contentType: string | undefined): string {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    return new TextDecoder('utf-8').decode(body.subarray(3));
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charsetOf(body, contentType));
  } catch {
    decoder = new TextDecoder('utf-8'); // an unknown label: UTF-8 is the web's default
  }
  return decoder.decode(body);
}
