// Tag inputs hold several tags ("reading web, rust"), but a <datalist> offers
// whole values. So the options are rewritten as you type: what is already
// typed, followed by each of your tags that starts with the word being typed.
// Without JavaScript the same list still completes the first tag.
(() => {
  const MAX_OPTIONS = 30;
  for (const input of document.querySelectorAll('input[data-tag-input][list]')) {
    const list = document.getElementById(input.getAttribute('list'));
    if (!list) continue;
    const tags = Array.from(list.options, (option) => option.value);
    const update = () => {
      const [, before = '', word = ''] = /^(.*[\s,])?([^\s,]*)$/s.exec(input.value) ?? [];
      const typed = new Set(before.toLowerCase().split(/[\s,]+/));
      const start = word.toLowerCase();
      const options = [];
      for (const tag of tags) {
        if (options.length === MAX_OPTIONS) break;
        if (tag.startsWith(start) && !typed.has(tag)) {
          const option = document.createElement('option');
          option.value = before + tag;
          options.push(option);
        }
      }
      list.replaceChildren(...options);
    };
    input.addEventListener('input', update);
    input.addEventListener('focus', update);
  }
})();
