/**
 * What a search box holds: words, and `#tag` for "tagged". `#rust async
 * #web` finds bookmarks tagged rust and web whose title, URL, notes or tags
 * contain "async". A # inside a word ("C#") is just text.
 */
import { parseTags } from './tags';

/** #tags one search may hold: each is one more condition on the query. */
export const MAX_SEARCH_TAGS = 10;

export interface Search {
  /** The words, joined by single spaces; undefined when there are none. */
  readonly text: string | undefined;
  readonly tags: string[];
}

export function parseSearch(q: string | undefined): Search {
  const words: string[] = [];
  const tags: string[] = [];
  for (const word of (q ?? '').split(/\s+/)) {
    if (word.length > 1 && word.startsWith('#')) {
      for (const tag of parseTags(word.slice(1))) if (!tags.includes(tag)) tags.push(tag);
    } else if (word) {
      words.push(word);
    }
  }
  return { text: words.length > 0 ? words.join(' ') : undefined, tags };
}
