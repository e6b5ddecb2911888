/**
 * The bookmarklets on the profile page: the one place this app uses
 * JavaScript. Both open /bookmarks/new with the current page's URL, title and
 * selected text; the popup variant opens a small window that closes itself
 * after saving (next=close).
 */
export interface Bookmarklets {
  readonly plain: string;
  readonly popup: string;
}

export function bookmarklets(publicUrl: string): Bookmarklets {
  const base = `${publicUrl.replace(/\/+$/, '')}/bookmarks/new`;
  // JSON.stringify gives a correctly quoted JS string literal for the base URL.
  const params =
    "'url='+encodeURIComponent(location.href)+'&title='+encodeURIComponent(document.title)" +
    "+'&description='+encodeURIComponent(String(getSelection()))+'&via=bookmarklet'";
  const plain = `javascript:(function(){location.href=${JSON.stringify(`${base}?`)}+${params}+'&next=same';})();`;
  const popup =
    `javascript:(function(){window.open(${JSON.stringify(`${base}?popup=1&`)}+${params}+'&next=close',` +
    `'pebbling','width=620,height=640,resizable=yes,scrollbars=yes');})();`;
  return { plain, popup };
}
