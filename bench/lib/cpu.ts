/**
 * CPU time used by processes (from /proc, Linux), to tell a process that is
 * busy from one that waits: CPU ms per item and the share of a core used.
 */
import fs from 'node:fs';
import os from 'node:os';

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * utime + stime of one process in milliseconds (with `reaped`, plus that of
 * its children that have exited and been waited for); 0 if it is gone.
 */
export function cpuMsOf(pid: number, reaped = false): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces): index 0 is field 3.
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    return (f[11]! + f[12]! + (reaped ? f[13]! + f[14]! : 0)) * TICK_MS;
  } catch {
    return 0;
  }
}

/** A process and all its descendants, now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(entry));
      children.set(ppid, list);
    } catch {}
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const child of children.get(pid) ?? []) walk(child);
  };
  walk(root);
  return out;
}

/** Total CPU ms of a process tree, exited children included (PostgreSQL: postmaster + backends). */
export function treeCpuMs(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + cpuMsOf(pid, pid === root), 0);
}

/** All CPUs' busy and total time (ms), from os.cpus(). */
export function machineCpuMs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const cpu of os.cpus()) {
    const t = cpu.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

/**
 * How much of the machine other processes used between two snapshots: all
 * busy CPU time minus this process's own and that of its children (reaped
 * children included, so everything a benchmark started and stopped).
 */
export function otherLoadMeter(): () => number {
  const machine0 = machineCpuMs();
  const own0 = cpuMsOf(process.pid, true);
  return () => {
    const machine1 = machineCpuMs();
    const own = treeCpuMs(process.pid) - own0;
    const total = machine1.total - machine0.total;
    const foreign = Math.max(0, machine1.busy - machine0.busy - own);
    return total > 0 ? Math.round((100 * foreign) / total) : 0;
  };
}
