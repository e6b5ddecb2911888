/**
 * Bookmark settings: GET /settings/bookmarks shows the section on its own
 * (the /settings page includes the same partial, settings/_bookmarks.njk);
 * POST saves it and goes back to the page the form was on.
 */
import Router from '@koa/router';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { parseOrThrow } from '../web/validate';
import { getBookmarkPreferences, setBookmarkPreferences } from './preferences';
import { bookmarkPreferencesForm } from './schemas';

export function bookmarkSettingsRoutes({ render }: WebDeps): Router {
  const router = new Router();

  router.get('/settings/bookmarks', requireUser(), async (ctx) => {
    ctx.body = render(ctx, 'settings/bookmarks.njk', {
      section: 'bookmarks',
      settingsPage: '/settings/bookmarks',
      bookmarkPreferences: await getBookmarkPreferences(ctx.state.user!.id),
    });
  });

  router.post('/settings/bookmarks', requireUser(), async (ctx) => {
    const form = parseOrThrow(bookmarkPreferencesForm, ctx.request.body);
    await setBookmarkPreferences({
      userId: ctx.state.user!.id,
      preferences: { privateByDefault: form.private_by_default },
    });
    setFlash(
      ctx,
      'info',
      form.private_by_default
        ? 'Saved: new bookmarks start private.'
        : 'Saved: new bookmarks start public.',
    );
    ctx.redirect(form.back ?? '/settings/bookmarks');
  });

  return router;
}
