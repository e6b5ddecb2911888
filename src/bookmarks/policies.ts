/**
 * Who may see and change a bookmark. Used by the pages, the API and the
 * service alike. A private bookmark exists only for its owner: to everyone
 * else it answers 404, never 403, so its existence does not leak.
 */
import { forbidden, notFound } from '../errors';

export interface Viewer {
  readonly id: number;
}

export interface Guarded {
  readonly ownerId: number;
  readonly private: boolean;
}

export function canView(viewer: Viewer | undefined, bookmark: Guarded): boolean {
  return !bookmark.private || viewer?.id === bookmark.ownerId;
}

export function canEdit(viewer: Viewer | undefined, bookmark: Guarded): boolean {
  return viewer !== undefined && viewer.id === bookmark.ownerId;
}

/** 404 for what the viewer may not see. */
export function authorizeView(viewer: Viewer | undefined, bookmark: Guarded | undefined): void {
  if (!bookmark || !canView(viewer, bookmark)) throw notFound('There is no such bookmark.');
}

/** 404 for what the viewer may not see, 403 for someone else's public bookmark. */
export function authorizeEdit(viewer: Viewer | undefined, bookmark: Guarded | undefined): void {
  authorizeView(viewer, bookmark);
  if (!canEdit(viewer, bookmark!)) {
    throw forbidden('Only the owner of a bookmark can change or delete it.');
  }
}
