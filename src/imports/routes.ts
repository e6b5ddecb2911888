/**
 * /import (page, upload, retry, cancel) and /api/v1/imports. Uploads are
 * streamed to disk (never parsed by the global body parser: multipart is
 * not among its types); the work itself happens in the worker.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { methodNotAllowed } from '../api/routes';
import { AppError, notFound } from '../errors';
import { formatBytes, removeUpload } from '../uploads/files';
import { type ReceivedUpload, receiveUpload } from '../uploads/receive';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, parseForm, parseOrThrow } from '../web/validate';
import { importJobView, presentImportJob } from './presenters';
import { importOptions, jobIdForm, jobIdParam, listQuery } from './schemas';
import {
  cancelImportJob,
  createImportJob,
  getImportJob,
  listImportJobs,
  retryImportJob,
} from './service';
import { importUploadRules } from './uploads';

/** Seconds between reloads of /import while an import runs. */
const REFRESH_SECONDS = 2;

export function importRoutes({ config, render, db }: WebDeps): Router {
  const router = new Router();
  const rules = importUploadRules(config.dataDir, config.imports.maxBytes);

  const showPage = async (ctx: ParameterizedContext, extra: Record<string, unknown> = {}) => {
    const jobs = (await listImportJobs(db.knex, ctx.state.user!.id)).map(importJobView);
    ctx.body = render(ctx, 'imports/index.njk', {
      jobs,
      refreshSeconds: jobs.some((job) => job.running) ? REFRESH_SECONDS : 0,
      maxSize: formatBytes(config.imports.maxBytes),
      values: { duplicates: 'skip', tags: '', private: false },
      errors: {},
      ...extra,
    });
  };

  router.get('/import', requireUser(), (ctx) => showPage(ctx));

  router.post('/import/submit', requireUser(), async (ctx) => {
    let upload: ReceivedUpload;
    try {
      upload = await receiveUpload(ctx, rules);
    } catch (error) {
      if (!(error instanceof AppError) || error.status >= 500) throw error;
      ctx.status = error.status;
      // A refused token is the form's problem; anything else is the file's.
      const field = error.status === 403 ? '_' : 'file';
      return showPage(ctx, { errors: { [field]: error.message } });
    }
    const parsed = parseForm(importOptions, upload.fields);
    if (!parsed.ok) {
      await removeUpload(upload.path);
      ctx.status = 422;
      return showPage(ctx, { errors: parsed.errors, values: upload.fields });
    }
    const job = await createImportJob(db.knex, {
      userId: ctx.state.user!.id,
      upload,
      options: parsed.value,
    });
    setFlash(ctx, 'info', `Importing ${job.original_filename || 'your file'}: progress below.`);
    ctx.redirect('/import/');
  });

  router.post('/import/retry', requireUser(), async (ctx) => {
    const { id } = parseOrThrow(jobIdForm, bodyOf(ctx));
    await retryImportJob(db.knex, ctx.state.user!, id);
    setFlash(ctx, 'info', 'The import runs again from where it stopped.');
    ctx.redirect('/import/');
  });

  router.post('/import/cancel', requireUser(), async (ctx) => {
    const { id } = parseOrThrow(jobIdForm, bodyOf(ctx));
    await cancelImportJob(db.knex, ctx.state.user!, id);
    setFlash(ctx, 'info', 'The import was cancelled; what it had imported stays.');
    ctx.redirect('/import/');
  });

  router.post('/api/v1/imports', requireUser(), async (ctx) => {
    const upload = await receiveUpload(ctx, rules);
    const input = { ...ctx.query, ...upload.fields };
    let options: ReturnType<typeof importOptions.parse>;
    try {
      options = parseOrThrow(importOptions, input);
    } catch (error) {
      await removeUpload(upload.path);
      throw error;
    }
    const job = await createImportJob(db.knex, { userId: ctx.state.user!.id, upload, options });
    ctx.status = 202;
    ctx.set('Location', `/api/v1/imports/${job.id}`);
    ctx.body = presentImportJob(job);
  });

  router.get('/api/v1/imports', requireUser(), async (ctx) => {
    const { limit } = parseOrThrow(listQuery, ctx.query);
    const jobs = await listImportJobs(db.knex, ctx.state.user!.id, limit);
    ctx.body = { imports: jobs.map(presentImportJob) };
  });

  router.get('/api/v1/imports/:id', requireUser(), async (ctx) => {
    // A malformed id names no import: 404, as for bookmarks and feeds.
    const parsed = jobIdParam.safeParse(ctx.params);
    if (!parsed.success) throw notFound('There is no such import.');
    ctx.body = presentImportJob(await getImportJob(db.knex, ctx.state.user!, parsed.data.id));
  });

  // Any other method: the API's JSON 405 with Allow, as on every /api/v1 address.
  router.all('/api/v1/imports', methodNotAllowed('GET, POST'));
  router.all('/api/v1/imports/:id', methodNotAllowed('GET'));

  return router;
}
