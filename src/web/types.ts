import type {} from '@koa/bodyparser';
import type { Logger } from '../logging/logger';

export interface SessionUser {
  readonly id: number;
  readonly username: string;
}

declare module 'koa' {
  interface DefaultState {
    requestId: string;
    log: Logger;
    /** The signed-in user, from the session cookie or a bearer token. */
    user?: SessionUser;
    /** How the user was authenticated: forms need CSRF only for sessions. */
    authMethod?: 'session' | 'token';
    csrfToken?: string;
    flash?: { kind: 'info' | 'error'; message: string };
    /** Unread feed items for the navigation ("1000+" past the cap); set by the reader for HTML pages. */
    navUnread?: string;
  }
}
