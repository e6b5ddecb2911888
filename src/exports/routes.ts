import Router from '@koa/router';
import type { ExportFormat } from '../bookmarks/metrics';
import { notFound } from '../errors';
import type { WebDeps } from '../web/deps';
import { requireUser } from '../web/middleware/auth';
import { parseOrThrow } from '../web/validate';
import { exportQuery } from './schemas';
import { exportBookmarks, WRITERS } from './service';

const FILES: Record<string, ExportFormat> = {
  'netscape.html': 'netscape',
  'activitystream.json': 'activitystreams',
  'bookmarks.opml': 'opml',
};

/** Your own bookmarks (private ones included), streamed as a download. */
export function exportRoutes({ db }: WebDeps): Router {
  const router = new Router();
  router.get('/bookmarks/export/:file', requireUser(), (ctx) => {
    const format = FILES[ctx.params.file ?? ''];
    if (!format)
      throw notFound('Exports are netscape.html, activitystream.json or bookmarks.opml.');
    const query = parseOrThrow(exportQuery, ctx.query);
    const writer = WRITERS[format];
    ctx.type = writer.contentType;
    ctx.set('Content-Disposition', `attachment; filename="${writer.filename}"`);
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = exportBookmarks(db.knex, {
      format,
      username: ctx.state.user!.username,
      filters: { ownerId: ctx.state.user!.id, ...query },
    });
  });
  return router;
}
