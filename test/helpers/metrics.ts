import { spawnSync } from 'node:child_process';
import { parseSamples, sumSamples } from '../../src/selftest/prometheus-text';

export { parseSamples as parseMetrics, type Sample } from '../../src/selftest/prometheus-text';

/** Sum of the samples named `name` whose labels include `labels`. 0 when none. */
export function metricValue(
  text: string,
  name: string,
  labels: Record<string, string | number> = {},
): number {
  return sumSamples(parseSamples(text), name, labels);
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
