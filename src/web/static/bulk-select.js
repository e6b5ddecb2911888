// "All on this page" for the list's checkboxes (they belong to form#bulk).
// Without JavaScript each box is ticked by hand; the form works the same.
(() => {
  const all = document.querySelector('input[data-select-all]');
  const boxes = Array.from(document.querySelectorAll('input.select[form="bulk"]'));
  if (!all || boxes.length === 0) return;
  all.closest('label').hidden = false;
  const sync = () => {
    const ticked = boxes.filter((box) => box.checked).length;
    all.checked = ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
  };
  all.addEventListener('change', () => {
    for (const box of boxes) box.checked = all.checked;
  });
  for (const box of boxes) box.addEventListener('change', sync);
  sync();
})();
