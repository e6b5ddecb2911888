/**
 * Saving, from the Add form, a URL the owner already has. The person may not
 * know they have it, so nothing they had is replaced without them seeing it:
 * a blank title or description is filled in and new tags are added, but a
 * different title, description or privacy goes back to them for review.
 * Pure functions: the service runs them on the locked row.
 */
import { MAX_TAGS } from './tags';

/** The fields of a save that matter here (service.ts's BookmarkChanges fits). */
export interface ResaveChanges {
  readonly title?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly private?: boolean;
}

export type ResaveField = 'title' | 'description' | 'tags' | 'private';

export interface Existing {
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly private: boolean;
}

export interface ResavePlan {
  /** What may be applied without asking: blanks filled, tags added. */
  readonly apply: ResaveChanges;
  readonly filled: ReadonlyArray<'title' | 'description'>;
  readonly addedTags: readonly string[];
  /** Values the person changed that would replace different ones. */
  readonly conflicts: readonly ResaveField[];
}

const blank = (text: string | undefined) => (text ?? '').trim() === '';
const lines = (text: string) => text.replace(/\r\n?/g, '\n');

/** `changes`: only what the person changed on the form (see form-changes.ts). */
export function planResave(existing: Existing, changes: ResaveChanges): ResavePlan {
  const apply: { title?: string; description?: string; tags?: string[] } = {};
  const filled: Array<'title' | 'description'> = [];
  const conflicts: ResaveField[] = [];
  for (const field of ['title', 'description'] as const) {
    const given = changes[field];
    // Blanking a field on the Add form never blanks what the bookmark had.
    if (blank(given) || lines(given!) === lines(existing[field])) continue;
    if (blank(existing[field])) {
      apply[field] = given!;
      filled.push(field);
    } else {
      conflicts.push(field);
    }
  }
  if (changes.private !== undefined && changes.private !== existing.private) {
    conflicts.push('private');
  }
  const addedTags = (changes.tags ?? []).filter((tag) => !existing.tags.includes(tag));
  // Past MAX_TAGS the person chooses which to keep: a review, not a silent cut.
  if (existing.tags.length + addedTags.length > MAX_TAGS) conflicts.push('tags');
  else if (addedTags.length > 0) apply.tags = [...existing.tags, ...addedTags];
  return { apply, filled, addedTags, conflicts };
}

/** The form's values for reviewing a resave: the person's changes over what was there. */
export function proposedValues(existing: Existing, changes: ResaveChanges): Existing {
  const pick = (field: 'title' | 'description') =>
    blank(changes[field]) ? existing[field] : changes[field]!;
  const added = (changes.tags ?? []).filter((tag) => !existing.tags.includes(tag));
  return {
    title: pick('title'),
    description: pick('description'),
    tags: [...existing.tags, ...added],
    private: changes.private ?? existing.private,
  };
}

/** The flash message after a resave that needed no review: what happened, plainly. */
export function resaveMessage(plan: Pick<ResavePlan, 'filled' | 'addedTags'>, savedOn: Date) {
  const parts: string[] = [];
  if (plan.addedTags.length > 0) {
    const names = plan.addedTags.map((tag) => `“${tag}”`).join(', ');
    parts.push(`added the tag${plan.addedTags.length === 1 ? '' : 's'} ${names}`);
  }
  for (const field of plan.filled) parts.push(`filled in the empty ${field}`);
  const when = `You already had this page (saved on ${savedOn.toISOString().slice(0, 10)})`;
  if (parts.length === 0) return `${when}. Nothing was changed.`;
  return `${when}: ${parts.join(' and ')}. Nothing you had was replaced.`;
}
