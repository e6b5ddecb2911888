/**
 * Password change and "sign out everywhere". The forms are the partial
 * views/settings/_security.njk, shown on its own at /settings/security and
 * inside the /settings page. Both end every session of the user (all
 * devices); the password change then signs this browser in again under a
 * new session id.
 */
import type Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, notFound } from '../errors';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { replaceSession } from '../web/middleware/session';
import { bodyOf, type FieldErrors, formErrors, parseForm } from '../web/validate';
import { changePassword } from './credentials';
import { User } from './models';
import { passwordChange } from './schemas';
import { countUserSessions, revokeUserSessions } from './sessions';
import type { Throttles } from './throttle';

export function addSecurityRoutes(router: Router, deps: WebDeps, throttles: Throttles): void {
  const { render, db } = deps;

  const showPage = async (ctx: ParameterizedContext, errors: FieldErrors = {}) => {
    ctx.body = render(ctx, 'settings/security.njk', {
      section: 'security',
      settingsPage: '/settings/security',
      passwordErrors: errors,
      activeSessions: await countUserSessions(db.knex, ctx.state.user!.id),
    });
  };

  router.get('/settings/security', requireUser(), (ctx) => showPage(ctx));

  router.post('/settings/password', requireUser(), async (ctx) => {
    const parsed = parseForm(passwordChange, ctx.request.body);
    if (!parsed.ok) {
      ctx.status = 422;
      return showPage(ctx, parsed.errors);
    }
    const user = await User.query().findById(ctx.state.user!.id);
    if (!user) throw notFound('There is no such user.');
    try {
      await changePassword(throttles, {
        user,
        currentPassword: parsed.value.current_password,
        newPassword: parsed.value.new_password,
        address: ctx.ip,
      });
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 422) throw error;
      ctx.status = 422;
      return showPage(ctx, formErrors(error));
    }
    await revokeUserSessions(db.knex, user.id);
    await replaceSession(ctx, { uid: user.id, username: user.username });
    setFlash(
      ctx,
      'info',
      'Password changed. Every other browser was signed out; API tokens keep working until you revoke them.',
    );
    // Back to the page the form was on: this one, or /settings, which includes it.
    ctx.redirect(
      bodyOf(ctx).back === '/settings' ? '/settings#password-heading' : '/settings/security',
    );
  });

  router.post('/settings/sessions/revoke', requireUser(), async (ctx) => {
    await revokeUserSessions(db.knex, ctx.state.user!.id);
    await replaceSession(ctx, {
      flash: { kind: 'info', message: 'You were signed out everywhere, here included.' },
    });
    ctx.redirect('/auth/login');
  });
}
