/** Characters XML 1.0 forbids outright (HTML parsers drop them too). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

/** Text and attribute values for HTML or XML; newlines in attributes survive as references. */
export function escapeMarkup(text: string, attribute = false): string {
  const escaped = text
    .replace(INVALID_XML, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
  return attribute
    ? escaped.replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;')
    : escaped;
}

export const epochSeconds = (date: Date) => String(Math.floor(date.getTime() / 1000));
