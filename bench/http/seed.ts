/**
 * Seeds one HTTP bench database the way a person would: a user and an API
 * token through the CLI (user:create, token:create), then public bookmarks
 * through POST /api/v1/bookmarks.
 */
import path from 'node:path';
import { spawnNode } from '../lib/process';

export const BENCH_USER = 'benchuser';

async function cli(args: string[], databaseUrl: string): Promise<string> {
  const child = spawnNode(path.join('dist', 'src', 'cli', 'index.js'), args, {
    telemetry: false,
    env: { DATABASE_URL: databaseUrl, LOG_LEVEL: 'warn' },
  });
  const code = await child.exited;
  if (code !== 0) throw new Error(`cli ${args[0]} failed (${code}):\n${child.output()}`);
  return child.output().trim();
}

/** Creates the bench user and returns a bearer token for it. */
export async function createUserAndToken(databaseUrl: string): Promise<string> {
  await cli(
    ['user:create', BENCH_USER, '--email', 'bench@example.com', '--password', 'bench-password-123'],
    databaseUrl,
  );
  const token = (await cli(['token:create', BENCH_USER, '--name', 'bench'], databaseUrl))
    .split('\n')
    .pop()!
    .trim();
  if (token.length < 16) throw new Error(`token:create printed no token: ${token}`);
  return token;
}

export function bookmarkBody(n: number | string): string {
  return JSON.stringify({
    url: `https://bench.example/articles/${n}?utm_source=bench`,
    title: `Bench bookmark ${n}: a title of ordinary length for a list page`,
    description:
      'A description of a couple of sentences, as people write them. It is shown under the title in the list.',
    tags: ['bench', 'http', `group-${typeof n === 'number' ? n % 5 : 'x'}`],
    private: false,
  });
}

export async function createBookmarks(
  baseUrl: string,
  token: string,
  count: number,
): Promise<void> {
  for (let n = 1; n <= count; n++) {
    const response = await fetch(`${baseUrl}/api/v1/bookmarks`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: bookmarkBody(n),
    });
    if (response.status !== 201) {
      throw new Error(
        `POST /api/v1/bookmarks answered ${response.status}: ${await response.text()}`,
      );
    }
  }
}
