/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): the functions with the most
 * self time, and the share of time spent under given packages, so a missed
 * target can name where the time goes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotFunction {
  readonly name: string;
  readonly where: string;
  readonly selfPercent: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idlePercent: number;
  readonly top: readonly HotFunction[];
  /** Self time by package (node_modules/<name>, or our own code, or node internals). */
  readonly byPackage: ReadonlyArray<{ readonly name: string; readonly selfPercent: number }>;
  /**
   * Busy time by the package that made the call: node internals and native
   * frames count for the nearest package (or app code) above them, so what
   * OpenTelemetry spends in AsyncLocalStorage, timers or crypto counts as its.
   */
  readonly attributed: ReadonlyArray<{ readonly name: string; readonly percent: number }>;
  /** The share of busy time attributed to OpenTelemetry packages (and its require hooks). */
  readonly otelPercent: number;
}

export interface ProfileWindow {
  /** Only samples taken in this window, in microseconds of the monotonic clock
   * (process.hrtime.bigint() / 1000n in any process on the machine). */
  readonly fromUs?: number;
  readonly toUs?: number;
}

const OTEL = /@opentelemetry\/|require-in-the-middle|shimmer|import-in-the-middle/;

/** The monotonic clock in microseconds, comparable with a .cpuprofile's timestamps. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

export function summarizeProfile(
  file: string,
  topN = 15,
  window: ProfileWindow = {},
): ProfileSummary {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  let total = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (window.fromUs !== undefined && at < window.fromUs) return;
    if (window.toUs !== undefined && at > window.toUs) return;
    self.set(id, (self.get(id) ?? 0) + delta);
    total += delta;
  });
  // Attribution: each sample counts for the nearest frame that belongs to a
  // package or to app code (node internals and native frames pass upwards).
  const owners = new Map<number, string>();
  const ownerOf = (id: number): string => {
    const known = owners.get(id);
    if (known !== undefined) return known;
    const node = byId.get(id)!;
    const pkg = packageOf(node.callFrame.url, node.callFrame.functionName);
    const up = parent.get(id);
    const owner =
      pkg === '(node internals)' || pkg === '(native)'
        ? up === undefined
          ? pkg
          : ownerOf(up)
        : pkg;
    owners.set(id, owner);
    return owner;
  };
  const attributed = new Map<string, number>();
  let busy = 0;
  for (const [id, us] of self) {
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    busy += us;
    const owner = ownerOf(id);
    attributed.set(owner, (attributed.get(owner) ?? 0) + us);
  }
  const otel = [...attributed.entries()]
    .filter(([name]) => OTEL.test(`${name}/`))
    .reduce((sum, [, us]) => sum + us, 0);
  const functions = new Map<string, { name: string; where: string; us: number }>();
  const packages = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of self) {
    const frame = byId.get(id)!.callFrame;
    const name = frame.functionName || '(anonymous)';
    if (name === '(idle)') idle += us;
    const where = shortUrl(frame.url, frame.lineNumber);
    const key = `${name}|${where}`;
    const entry = functions.get(key) ?? { name, where, us: 0 };
    entry.us += us;
    functions.set(key, entry);
    const pkg = packageOf(frame.url, name);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    totalMs: Math.round(total / 1000),
    idlePercent: pct(idle),
    top: [...functions.values()]
      .filter((f) => f.name !== '(idle)')
      .sort((a, b) => b.us - a.us)
      .slice(0, topN)
      .map((f) => ({ name: f.name, where: f.where, selfPercent: pct(f.us) })),
    byPackage: [...packages.entries()]
      .filter(([name]) => name !== '(idle)')
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([name, us]) => ({ name, selfPercent: pct(us) })),
    attributed: [...attributed.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([name, us]) => ({ name, percent: Math.round((us / busy) * 1000) / 10 })),
    otelPercent: Math.round((otel / busy) * 1000) / 10,
  };
}

function shortUrl(url: string, line: number): string {
  if (!url) return '';
  const clean = url.replace(/^file:\/\//, '');
  const rel = clean.startsWith(projectRoot) ? path.relative(projectRoot, clean) : clean;
  const short = rel.replace(/^.*node_modules\//, '');
  return `${short}:${line + 1}`;
}

function packageOf(url: string, name: string): string {
  if (name === '(idle)' || name === '(garbage collector)' || name === '(program)') return name;
  if (!url) return '(native)';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  if (url.startsWith('node:')) return '(node internals)';
  return '(app code)';
}

/** The newest .cpuprofile in a directory (node --cpu-prof-dir). */
export function newestProfile(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(dir, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  return files[0];
}

/** Markdown lines for the report. */
export function formatProfile(summary: ProfileSummary, topN = 10): string[] {
  const lines = [
    `profile: ${summary.totalMs} ms sampled, ${summary.idlePercent} % idle; ${summary.otelPercent} % of busy time is spent by OpenTelemetry code (its own frames and the node internals it calls).`,
    `busy time by calling package (node internals counted for their caller): ${summary.attributed
      .slice(0, 8)
      .map((p) => `${p.name} ${p.percent} %`)
      .join(', ')}.`,
    `self time by package: ${summary.byPackage
      .slice(0, 8)
      .map((p) => `${p.name} ${p.selfPercent} %`)
      .join(', ')}.`,
    `top self-time functions: ${summary.top
      .slice(0, topN)
      .map((f) => `\`${f.name}\` (${f.where}) ${f.selfPercent} %`)
      .join('; ')}.`,
  ];
  return lines;
}
