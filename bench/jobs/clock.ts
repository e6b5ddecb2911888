export const NOOP_TASK = 'bench_noop';

/** Milliseconds since the epoch, sub-millisecond, comparable across processes on one machine. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
