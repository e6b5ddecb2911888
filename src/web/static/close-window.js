// After saving from the popup bookmarklet (next=close): close the small window.
// Only windows opened by a script may be closed; otherwise the page says what to do.
window.setTimeout(() => window.close(), 600);
