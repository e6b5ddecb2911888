/** What other code may import from the bookmarks domain (routes are mounted by the web app). */
export { type AtomFeed, renderAtom } from './atom';
export { type Bookmarklets, bookmarklets } from './bookmarklet';
export { type BookmarkFilters, listBookmarks, listTags, type Page, type TagCount } from './list';
export { filtersFrom, pageLinks } from './list-params';
export { renderMarkdown } from './markdown';
export {
  type BookmarkSource,
  recordUnfurl,
  type UnfurlStatus,
  type UpdateOperation,
} from './metrics';
export { Bookmark, Tag, type UnfurlMetadata } from './models';
export { authorizeEdit, authorizeView, canEdit, canView, type Viewer } from './policies';
export {
  type BookmarkPreferences,
  getBookmarkPreferences,
  setBookmarkPreferences,
} from './preferences';
export {
  type BookmarkJson,
  presentBookmark,
  presentBookmarkPage,
  presentTagPage,
} from './presenters';
export { type BookmarkRecord, loadRecord } from './records';
export {
  descriptionField,
  type ListQuery,
  listQuery,
  SORTS,
  type SortKey,
  tagsField,
  titleField,
  urlField,
} from './schemas';
export {
  type BookmarkChanges,
  type BookmarkFields,
  createOrUpdateBookmark,
  deleteBookmark,
  findOwnBookmarkByUrl,
  getBookmark,
  updateBookmark,
} from './service';
export { parseSince } from './since';
export { setBookmarkTags, upsertTags } from './tag-store';
export { MAX_TAG_LENGTH, MAX_TAGS, parseTags } from './tags';
export { InvalidUrlError, MAX_URL_LENGTH, normalizeUrl, parseBookmarkUrl, urlHash } from './url';
