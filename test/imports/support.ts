/** Helpers for import and export tests: upload through the API, wait for the job, read what landed. */
import path from 'node:path';
import type { Knex } from 'knex';
import { projectRoot } from '../../src/paths';

export const FIXTURES = path.join(projectRoot, 'test', 'fixtures', 'imports');

export interface JobJson {
  id: number;
  status: 'pending' | 'processing' | 'completed' | 'failed' | 'cancelled';
  format: string | null;
  total: number;
  processed: number;
  created: number;
  updated: number;
  skipped: number;
  failed: number;
  error: string | null;
  failures: Array<{ index: number; error: string; url: string; title: string }>;
  options: { duplicates: string; tags: string[]; private: boolean };
}

/** POST /api/v1/imports with the file as the raw body (options as query parameters). */
export async function uploadRaw(
  baseUrl: string,
  token: string,
  body: Buffer | string,
  query = '',
  contentType = 'application/octet-stream',
): Promise<{ status: number; json: JobJson }> {
  const response = await fetch(`${baseUrl}/api/v1/imports${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
  });
  return { status: response.status, json: (await response.json()) as JobJson };
}

/** POST /api/v1/imports as multipart, the way `curl -F file=@…` sends it. */
export async function uploadMultipart(
  baseUrl: string,
  token: string,
  body: Buffer | string,
  fields: Record<string, string> = {},
  filename = 'bookmarks.html',
): Promise<{ status: number; json: JobJson }> {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.set(key, value);
  form.set('file', new Blob([body]), filename);
  const response = await fetch(`${baseUrl}/api/v1/imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: response.status, json: (await response.json()) as JobJson };
}

export async function getJob(baseUrl: string, token: string, id: number): Promise<JobJson> {
  const response = await fetch(`${baseUrl}/api/v1/imports/${id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (response.status !== 200) throw new Error(`GET import ${id}: ${response.status}`);
  return (await response.json()) as JobJson;
}

const ENDED = new Set(['completed', 'failed', 'cancelled']);

/** Polls the job until it ends (or `until` holds). */
export async function waitForJob(
  baseUrl: string,
  token: string,
  id: number,
  options: { timeoutMs?: number; until?: (job: JobJson) => boolean } = {},
): Promise<JobJson> {
  const until = options.until ?? ((job: JobJson) => ENDED.has(job.status));
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const job = await getJob(baseUrl, token, id);
    if (until(job)) return job;
    if (Date.now() > deadline)
      throw new Error(`import ${id} still ${job.status}: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface StoredBookmark {
  url: string;
  unique_hash: string;
  title: string;
  description: string;
  private: boolean;
  feed_url: string | null;
  created_at: Date;
  updated_at: Date;
  tags: string[];
}

/** The user's bookmarks with their tag names (sorted), oldest first. */
export async function bookmarksOf(knex: Knex, userId: number): Promise<StoredBookmark[]> {
  const { rows } = await knex.raw<{ rows: StoredBookmark[] }>(
    `SELECT b.url, b.unique_hash, b.title, b.description, b.private, b.feed_url, b.created_at, b.updated_at,
            coalesce(array_agg(t.name ORDER BY t.name) FILTER (WHERE t.name IS NOT NULL), '{}') AS tags
       FROM bookmarks b
       LEFT JOIN bookmark_tags bt ON bt.bookmark_id = b.id
       LEFT JOIN tags t ON t.id = bt.tag_id
      WHERE b.owner_id = ?
      GROUP BY b.id
      ORDER BY b.created_at, b.id`,
    [userId],
  );
  return rows;
}

export const byUrl = (rows: StoredBookmark[]) => new Map(rows.map((row) => [row.url, row]));

export const seconds = (date: Date) => Math.floor(date.getTime() / 1000);
