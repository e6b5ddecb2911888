/**
 * Node's on-disk compile cache for every module loaded after this one (the
 * OpenTelemetry packages, then the app): a start skips re-compiling about
 * 1 250 modules. Imported first by register.ts, so it covers `npm start`, the
 * tests and the CLI as well as `make run` (which also sets NODE_COMPILE_CACHE).
 * Entries are checked against each file's contents, so a stale one is never
 * used; a cache directory that cannot be written is simply not used.
 */
import { enableCompileCache } from 'node:module';
import path from 'node:path';

enableCompileCache(
  path.join(__dirname, '..', '..', 'node_modules', '.cache', 'node-compile-cache'),
);
