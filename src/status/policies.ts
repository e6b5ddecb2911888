/**
 * Who sees what on /status: the numbers about everyone (every user's
 * bookmarks and imports, the queue, HTTP, every failing feed) are for
 * admins; everyone else sees their own. A feed may be retried by an admin or
 * by someone who may see it (a follower, or the owner of a bookmark of it).
 */
import type { Knex } from 'knex';
import { canViewFeed, type Feed } from '../feeds';

export interface StatusViewer {
  readonly id: number;
  readonly username: string;
  readonly isAdmin: boolean;
}

export type StatusScope = 'everyone' | 'own';

export function scopeOf(viewer: StatusViewer): StatusScope {
  return viewer.isAdmin ? 'everyone' : 'own';
}

export async function mayRetryFeed(knex: Knex, viewer: StatusViewer, feed: Feed): Promise<boolean> {
  return viewer.isAdmin || canViewFeed(knex, viewer.id, feed);
}
