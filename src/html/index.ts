export { MAX_HTML_DEPTH, parseBoundedHtml } from './bounded-parse';
