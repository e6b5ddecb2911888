import { spawnSync } from 'node:child_process';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text format (enough for assertions, not a full parser). */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const match = LINE.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(LABEL)) {
      labels[label[1]!] = label[2]!
        .replace(/\\"/g, '"')
        .replace(/\\n/g, '\n')
        .replace(/\\\\/g, '\\');
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `labels`. 0 when none. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string | number> = {},
): number {
  return parseMetrics(text)
    .filter(
      (s) =>
        s.name === name &&
        Object.entries(labels).every(([key, value]) => s.labels[key] === String(value)),
    )
    .reduce((sum, s) => sum + s.value, 0);
}

export async function scrape(
  baseUrl: string,
  path = '/metrics',
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(`${baseUrl}${path}`, { headers });
  if (response.status !== 200)
    throw new Error(`scrape of ${baseUrl}${path} answered ${response.status}`);
  return response.text();
}

/** `promtool check metrics` on a scrape: the real binary, from Debian's prometheus. */
export function promtoolCheck(text: string): { ok: boolean; output: string } {
  const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (result.error) {
    throw new Error(
      `promtool is not installed (apt-get install prometheus): ${result.error.message}`,
    );
  }
  return { ok: result.status === 0, output: `${result.stdout}${result.stderr}`.trim() };
}
