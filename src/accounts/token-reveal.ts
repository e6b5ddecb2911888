/**
 * A new API token is shown once, on the page the creating POST redirects to
 * (so a refresh cannot create a second one). Until then it waits in the
 * session, which lives in a signed but readable cookie: so it waits there
 * sealed (AES-256-GCM under a key derived from SECRET_KEY), bound to its user
 * and token, for ten minutes at most, and the page that shows it removes it.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

export interface SealedToken {
  readonly tokenId: number;
  readonly until: number;
  readonly sealed: string;
}

declare module '../web/middleware/session' {
  interface SessionData {
    /** A just-created API token, until the tokens page has shown it. */
    newToken?: SealedToken;
  }
}

const LIFETIME_MS = 10 * 60 * 1000;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface TokenSealer {
  seal(userId: number, tokenId: number, token: string): SealedToken;
  /** The token, or undefined when it is for someone else, expired or tampered with. */
  open(userId: number, sealed: SealedToken): string | undefined;
}

export function tokenSealer(secretKey: string): TokenSealer {
  const key = Buffer.from(hkdfSync('sha256', secretKey, '', 'pebbling-club new api token', 32));
  const context = (userId: number, tokenId: number, until: number) =>
    Buffer.from(`${userId}:${tokenId}:${until}`);
  return {
    seal(userId, tokenId, token) {
      const until = Date.now() + LIFETIME_MS;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(context(userId, tokenId, until));
      const body = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      const sealed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
      return { tokenId, until, sealed };
    },
    open(userId, { tokenId, until, sealed }) {
      if (!Number.isSafeInteger(until) || until < Date.now()) return undefined;
      try {
        const raw = Buffer.from(sealed, 'base64url');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
        decipher.setAAD(context(userId, tokenId, until));
        decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        const body = raw.subarray(IV_BYTES + TAG_BYTES);
        return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
      } catch {
        return undefined;
      }
    },
  };
}
