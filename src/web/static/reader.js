// The reader's keyboard shortcuts, read/unread without a reload, and "Poll
// now" with its result shown when it lands. All of it is an enhancement:
// every action here is also a plain link or form that works without
// JavaScript (the forms answer JSON to us, a redirect to everyone else).
(() => {
  const items = () => Array.from(document.querySelectorAll('[data-item-id]'));
  let current = null;

  function select(item) {
    if (!item) return;
    current?.classList.remove('is-current');
    current = item;
    item.classList.add('is-current');
    item.focus({ preventScroll: true });
    item.scrollIntoView({ block: 'nearest' });
  }

  function move(step) {
    const list = items();
    if (list.length === 0) return;
    const index = current ? list.indexOf(current) : -1;
    if (index === -1) select(step > 0 ? list[0] : list[list.length - 1]);
    else select(list[Math.min(list.length - 1, Math.max(0, index + step))]);
  }

  function say(text, link) {
    const status = document.querySelector('[data-poll-status]');
    if (!status) return;
    status.textContent = text;
    if (link) {
      const anchor = document.createElement('a');
      anchor.href = link.href;
      anchor.textContent = link.text;
      status.append(' ', anchor);
    }
  }

  function setCount(element, value) {
    if (!element) return;
    element.textContent = String(value);
    element.hidden = String(value) === '0';
  }

  /** The total (as text: "1000+" past the cap), feeds' counts, and each category's sum. */
  function updateCounts(totalText, feeds) {
    setCount(document.querySelector('[data-nav-unread]'), totalText);
    setCount(document.querySelector('[data-total-unread]'), totalText);
    for (const [feedId, unread] of feeds) {
      for (const element of document.querySelectorAll(`[data-feed-unread="${feedId}"]`)) {
        setCount(element, unread);
      }
    }
    for (const category of document.querySelectorAll('[data-category-unread]')) {
      let sum = 0;
      for (const element of category.closest('details').querySelectorAll('[data-feed-unread]')) {
        sum += Number(element.textContent) || 0;
      }
      setCount(category, sum);
    }
  }

  /** Posts the form as it is now (fields read before anything changes them). */
  async function send(form) {
    const body = new URLSearchParams(new FormData(form));
    const response = await fetch(form.action, {
      method: 'POST',
      body,
      headers: { accept: 'application/json' },
      credentials: 'same-origin',
    });
    const answer = await response.json().catch(() => null);
    if (!response.ok || answer === null) {
      throw new Error(answer?.error?.message ?? `The server answered ${response.status}.`);
    }
    return answer;
  }

  function showRead(item, read) {
    item.classList.toggle('is-read', read);
    const form = item.querySelector('form.item-toggle');
    if (!form) return;
    form.elements.namedItem('read').value = read ? '0' : '1';
    form.querySelector('button').textContent = read ? 'Mark unread' : 'Mark read';
  }

  async function setRead(item, read) {
    const form = item.querySelector('form.item-toggle');
    if (!form) return;
    form.elements.namedItem('read').value = read ? '1' : '0';
    const sending = send(form);
    showRead(item, read);
    try {
      const answer = await sending;
      showRead(item, answer.read);
      updateCounts(
        answer.unread_text,
        answer.feed_id === null ? [] : [[answer.feed_id, answer.feed_unread]],
      );
    } catch (error) {
      showRead(item, !read);
      say(error.message);
    }
  }

  const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

  function describeRequest(request) {
    if (request.disabled.length > 0 && request.queued.length + request.running.length === 0) {
      return 'That feed is disabled after errors: re-enable it on the Feeds page.';
    }
    if (request.recent.length > 0) return 'Polled moments ago; not polled again yet.';
    return 'You follow no feeds to poll.';
  }

  function describeFeed(feed) {
    if (feed.job_error) return `poll failed: ${feed.job_error}`;
    if (feed.last_error) return `failed: ${feed.last_error}`;
    if (feed.new_items > 0) return plural(feed.new_items, 'new item');
    return feed.status_text;
  }

  function showStatus(status) {
    for (const feed of status.feeds) {
      const element = document.querySelector(`[data-feed-state="${feed.id}"]`);
      if (!element) continue;
      element.textContent =
        feed.state === 'queued' || feed.state === 'running' ? 'polling…' : describeFeed(feed);
    }
    updateCounts(
      status.unread_text,
      status.feeds.filter((feed) => feed.unread !== null).map((feed) => [feed.id, feed.unread]),
    );
  }

  function summarise(status) {
    const link =
      status.new_items > 0 ? { href: window.location.href, text: 'Show them' } : undefined;
    if (status.feeds.length === 1) {
      const [feed] = status.feeds;
      say(`${feed.title}: ${describeFeed(feed)}.`, link);
      return;
    }
    const failed = status.feeds.filter((feed) => feed.job_error || feed.last_error).length;
    const failures = failed > 0 ? `; ${plural(failed, 'feed')} failing` : '';
    say(
      `Polled ${plural(status.feeds.length, 'feed')}: ${plural(status.new_items, 'new item')}${failures}.`,
      link,
    );
  }

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  async function poll(form) {
    say('Asking for a poll…');
    let request;
    try {
      request = await send(form);
    } catch (error) {
      say(error.message);
      return;
    }
    if (request.queued.length + request.running.length === 0) {
      say(describeRequest(request));
      return;
    }
    say(`Polling ${plural(request.queued.length + request.running.length, 'feed')}…`);
    // Quick at first (a poll takes a second or two), then once a second, for up to two minutes.
    for (let attempt = 0; attempt < 125; attempt++) {
      await sleep(attempt < 10 ? 300 : 1000);
      let status;
      try {
        const response = await fetch(request.status_url, {
          headers: { accept: 'application/json' },
          credentials: 'same-origin',
        });
        // Gone from your feeds meanwhile: nothing more to wait for.
        if (response.status === 404 || response.status === 401) {
          say('That poll can no longer be followed: reload the page.');
          return;
        }
        if (!response.ok) continue;
        status = await response.json();
      } catch {
        continue;
      }
      showStatus(status);
      if (status.done) {
        summarise(status);
        return;
      }
    }
    say('Still polling: reload the page in a while to see the result.');
  }

  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    if (form.matches('form.item-toggle')) {
      event.preventDefault();
      setRead(form.closest('[data-item-id]'), form.elements.namedItem('read').value === '1');
    } else if (form.matches('form.poll-form')) {
      event.preventDefault();
      poll(form);
    }
  });

  document.addEventListener('click', (event) => {
    const target = event.target;
    if (!(target instanceof Element)) return;
    const item = target.closest('[data-item-id]');
    if (item && item !== current) select(item);
    // Opening the original counts as reading it.
    if (item && target.closest('a.item-original') && !item.classList.contains('is-read')) {
      setRead(item, true);
    }
  });

  const actions = {
    // On an item's own page, j reads on: the next unread item.
    j: () => {
      const next = document.querySelector('a.item-next');
      if (next && current?.classList.contains('reader-entry')) window.location.assign(next.href);
      else move(1);
    },
    k: () => move(-1),
    o: () => {
      const link = current?.querySelector('a.item-open');
      if (link) window.location.assign(link.href);
    },
    v: () => {
      const link = current?.querySelector('a.item-original');
      if (!link) return;
      window.open(link.href, '_blank', 'noopener');
      if (!current.classList.contains('is-read')) setRead(current, true);
    },
    m: () => {
      if (current) setRead(current, !current.classList.contains('is-read'));
    },
    b: () => {
      const link = current?.querySelector('a.item-bookmark');
      if (link) window.location.assign(link.href);
    },
  };

  document.addEventListener('keydown', (event) => {
    if (event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey) return;
    const target = event.target;
    if (target instanceof Element && target.closest('input, textarea, select, [contenteditable]')) {
      return;
    }
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    action();
  });

  // One item on the page (the item view): it is the current one.
  const only = items();
  if (only.length === 1 && only[0].classList.contains('reader-entry')) select(only[0]);
})();
