// The bookmark form, enhanced: as you type a URL, it says whether you already
// have that page, with a link to it. Without JavaScript the server says the
// same when the form is opened with ?url= and when it is saved.
(() => {
  const form = document.querySelector('form.bookmark-form[data-check-url]');
  const input = form?.querySelector('input[name="url"]');
  const note = document.getElementById('url-duplicate');
  if (!form || !input || !note) return;
  const editing = form.dataset.bookmarkId;
  let asked = '';
  let timer;

  const show = (bookmark) => {
    const link = document.createElement('a');
    link.href = `/bookmarks/${encodeURIComponent(bookmark.id)}/edit`;
    link.textContent = editing ? 'Edit that one' : 'Edit that bookmark';
    const title = bookmark.title || bookmark.url;
    const saved = String(bookmark.created_at).slice(0, 10);
    const text = editing
      ? `Another of your bookmarks has this URL: “${title}”, saved on ${saved}. `
      : `You already have this page: “${title}”, saved on ${saved}. `;
    note.replaceChildren(document.createTextNode(text), link);
    note.dataset.bookmarkId = String(bookmark.id);
  };
  const clear = () => {
    note.replaceChildren();
    delete note.dataset.bookmarkId;
  };

  const check = async () => {
    const value = input.value.trim();
    if (value === asked) return;
    asked = value;
    if (!/^https?:\/\/[^\s/]+/i.test(value)) return clear();
    try {
      const response = await fetch(`${form.dataset.checkUrl}?url=${encodeURIComponent(value)}`, {
        headers: { accept: 'application/json' },
        credentials: 'same-origin',
      });
      const answer = response.ok ? await response.json() : { bookmark: null };
      if (value !== asked) return; // the URL changed meanwhile: a newer check answers
      const bookmark = answer.bookmark;
      if (bookmark && String(bookmark.id) !== editing) show(bookmark);
      else clear();
    } catch {
      // Offline or the server is restarting: the save still checks.
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  });
  input.addEventListener('change', check);
  if (input.value) check();
})();
