import fs from 'node:fs';
import path from 'node:path';
import type { Middleware } from 'koa';
import { staticDir } from '../paths';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
};

/**
 * Serves the few files under src/web/static at /static/<name> (and the icon
 * at /favicon.ico), read once at start. Only names listed at start can be
 * served: no path tricks possible.
 */
export function staticFiles(): Middleware {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const name of fs.readdirSync(staticDir)) {
    const type = TYPES[path.extname(name)];
    if (type)
      files.set(`/static/${name}`, { body: fs.readFileSync(path.join(staticDir, name)), type });
  }
  // Browsers and feed readers ask for /favicon.ico without reading the page.
  const icon = files.get('/static/favicon.ico');
  if (icon) files.set('/favicon.ico', icon);
  return async (ctx, next) => {
    const file = ctx.method === 'GET' || ctx.method === 'HEAD' ? files.get(ctx.path) : undefined;
    if (!file) return next();
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.type = file.type;
    ctx.body = file.body;
  };
}
