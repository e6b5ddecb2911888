/**
 * A real Prometheus server (Debian's `prometheus` package) on 127.0.0.1,
 * scraping the given targets every second, with a small query client.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './ports';

export interface PrometheusServer {
  readonly url: string;
  /** Instant query; returns [labels, value] pairs. */
  query(expr: string): Promise<Array<{ labels: Record<string, string>; value: number }>>;
  /** Waits until every target has been scraped successfully at least once after `since`. */
  waitForScrapes(since: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export async function startPrometheus(
  jobs: Array<{ name: string; targets: string[] }>,
): Promise<PrometheusServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prometheus-'));
  const config = [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    'scrape_configs:',
    ...jobs.flatMap((job) => [
      `  - job_name: ${JSON.stringify(job.name)}`,
      '    static_configs:',
      `      - targets: ${JSON.stringify(job.targets)}`,
    ]),
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), config);
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`prometheus did not start (is Debian's prometheus installed?):\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  const query: PrometheusServer['query'] = async (expr) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
    };
    if (body.status !== 'success') throw new Error(`query ${expr} failed: ${body.error}`);
    return body.data.result.map((r) => ({ labels: r.metric, value: Number(r.value[1]) }));
  };

  return {
    url,
    query,
    async waitForScrapes(since, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const response = await fetch(`${url}/api/v1/targets`);
        const body = (await response.json()) as {
          data: {
            activeTargets: Array<{
              health: string;
              lastScrape: string;
              scrapeUrl: string;
              lastError: string;
            }>;
          };
        };
        const targets = body.data.activeTargets;
        const fresh = targets.every((t) => t.health === 'up' && Date.parse(t.lastScrape) > since);
        if (targets.length > 0 && fresh) return;
        if (Date.now() > until) {
          throw new Error(
            `targets not freshly scraped: ${JSON.stringify(targets.map((t) => [t.scrapeUrl, t.health, t.lastError]))}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    },
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
