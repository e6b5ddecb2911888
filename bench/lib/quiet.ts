/**
 * Other work on the machine (a test run) skews every figure. Before each
 * benchmark, wait until the CPUs are nearly idle, up to a limit, and say
 * how busy they were.
 */
import os from 'node:os';
import { sleep } from './stats';

function cpuTimes(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    idle += t.idle;
    total += t.user + t.nice + t.sys + t.idle + t.irq;
  }
  return { idle, total };
}

/** Busy share of all CPUs over the next `ms` milliseconds, 0–100. */
export async function busyPercent(ms = 2000): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  const total = b.total - a.total;
  return total > 0 ? Math.round((100 * (total - (b.idle - a.idle))) / total) : 0;
}

/** Waits until the CPUs are below `threshold` % busy, at most `maxSeconds`; returns the last reading. */
export async function waitForQuiet(maxSeconds: number, threshold = 15): Promise<number> {
  const deadline = Date.now() + maxSeconds * 1000;
  let busy = await busyPercent();
  while (busy >= threshold && Date.now() < deadline) busy = await busyPercent();
  return busy;
}
