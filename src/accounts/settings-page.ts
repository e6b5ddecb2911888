import type { ParameterizedContext } from 'koa';
import { getBookmarkPreferences } from '../bookmarks';
import { countUserSessions, User } from '../users';
import type { Renderer } from '../web/render';
import type { PostedForm } from './presenters';
import { getAccount } from './service';

/**
 * The /settings page, also after a failed POST of one of its forms. The
 * password and sessions forms (settings/_security.njk) and the bookmark
 * preferences (settings/_bookmarks.njk) are included from other domains:
 * their routes show their errors by calling this with their PostedForm.
 */
export async function renderSettings(
  ctx: ParameterizedContext,
  render: Renderer,
  posted?: PostedForm,
): Promise<string> {
  const userId = ctx.state.user!.id;
  const [account, bookmarkPreferences, activeSessions] = await Promise.all([
    getAccount(userId),
    getBookmarkPreferences(userId),
    countUserSessions(User.knex(), userId),
  ]);
  ctx.set('Cache-Control', 'no-store');
  return render(ctx, 'settings/index.njk', {
    section: 'account',
    // The partials' forms come back here, whichever POST rendered the page.
    settingsPage: '/settings',
    account,
    bookmarkPreferences,
    activeSessions,
    posted,
  });
}
