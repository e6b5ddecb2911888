/**
 * At most N fetches at once per host, inside one process. The worker runs
 * several jobs at a time; without this, a site with fifty feeds would see
 * the worker's whole concurrency at once.
 */
export interface HostLimiter {
  run<T>(host: string, task: () => Promise<T>): Promise<T>;
  /** Fetches running now for a host (for tests and logs). */
  active(host: string): number;
}

interface Slot {
  active: number;
  readonly waiting: Array<() => void>;
}

export function createHostLimiter(perHost: number): HostLimiter {
  const slots = new Map<string, Slot>();
  const acquire = (host: string): Promise<void> => {
    let slot = slots.get(host);
    if (!slot) {
      slot = { active: 0, waiting: [] };
      slots.set(host, slot);
    }
    if (slot.active < perHost) {
      slot.active++;
      return Promise.resolve();
    }
    const s = slot;
    return new Promise((resolve) => s.waiting.push(resolve));
  };
  const release = (host: string): void => {
    const slot = slots.get(host);
    if (!slot) return;
    const next = slot.waiting.shift();
    // The freed place passes straight to the next waiter: active stays the same.
    if (next) next();
    else if (--slot.active === 0) slots.delete(host);
  };
  return {
    async run(host, task) {
      const key = host.toLowerCase();
      await acquire(key);
      try {
        return await task();
      } finally {
        release(key);
      }
    },
    active: (host) => slots.get(host.toLowerCase())?.active ?? 0,
  };
}

export function hostOf(url: string): string {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return '';
  }
}
