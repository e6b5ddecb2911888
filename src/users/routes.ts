import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError } from '../errors';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { replaceSession } from '../web/middleware/session';
import { bodyOf, type FieldErrors, formErrors, parseForm, safeNext } from '../web/validate';
import { logIn, register } from './credentials';
import { login, registration } from './schemas';
import { addSecurityRoutes } from './security-routes';
import { createThrottles } from './throttle';

/** A new session id for the signed-in user: nothing planted in the old session survives. */
async function signIn(
  ctx: ParameterizedContext,
  user: { id: number; username: string },
): Promise<void> {
  await replaceSession(ctx, { uid: user.id, username: user.username });
}

export function userRoutes(deps: WebDeps): Router {
  const { config, render, db } = deps;
  const router = new Router();
  const throttles = createThrottles(db.knex, config.security);

  const closed = () =>
    new AppError(403, 'registration_closed', 'Registration is closed on this server.');

  router.get('/auth/register', (ctx) => {
    if (!config.allowUserRegistration) throw closed();
    ctx.body = render(ctx, 'auth/register.njk', { values: {}, errors: {} });
  });

  router.post('/auth/register', async (ctx) => {
    if (!config.allowUserRegistration) throw closed();
    const parsed = parseForm(registration, ctx.request.body);
    const values = { username: bodyOf(ctx).username, email: bodyOf(ctx).email };
    const show = (status: number, errors: FieldErrors) => {
      ctx.status = status;
      ctx.body = render(ctx, 'auth/register.njk', { values, errors });
    };
    if (!parsed.ok) return show(422, parsed.errors);
    try {
      const user = await register(throttles, { ...parsed.value, address: ctx.ip });
      await signIn(ctx, user);
      setFlash(ctx, 'info', `Welcome, ${user.username}! Save your first bookmark.`);
      ctx.redirect('/bookmarks/new');
    } catch (error) {
      if (!(error instanceof AppError) || (error.status !== 409 && error.status !== 422)) {
        throw error;
      }
      show(error.status, formErrors(error));
    }
  });

  router.get('/auth/login', (ctx) => {
    ctx.body = render(ctx, 'auth/login.njk', {
      values: {},
      errors: {},
      next: safeNext(ctx.query.next, ''),
    });
  });

  router.post('/auth/login', async (ctx) => {
    const parsed = parseForm(login, ctx.request.body);
    const next = safeNext(bodyOf(ctx).next, '');
    if (!parsed.ok) {
      ctx.status = 422;
      ctx.body = render(ctx, 'auth/login.njk', {
        values: bodyOf(ctx),
        errors: parsed.errors,
        next,
      });
      return;
    }
    const user = await logIn(throttles, {
      login: parsed.value.username,
      password: parsed.value.password,
      address: ctx.ip,
    });
    if (!user) {
      ctx.status = 401;
      ctx.body = render(ctx, 'auth/login.njk', {
        values: { username: parsed.value.username },
        errors: { _: 'That username and password do not match.' },
        next,
      });
      return;
    }
    if (user.disabled_at) {
      // An administrator disabled this account (npm run cli -- user:disable).
      const _ = 'This account is disabled. Ask the administrator of this server.';
      ctx.status = 403;
      ctx.body = render(ctx, 'auth/login.njk', { values: {}, errors: { _ }, next });
      return;
    }
    await signIn(ctx, user);
    ctx.redirect(next || `/u/${encodeURIComponent(user.username)}`);
  });

  // The session's row is deleted, not just the cookie: a copy of the cookie is worthless.
  router.post('/auth/logout', (ctx) => {
    ctx.session = null;
    ctx.redirect('/');
  });

  addSecurityRoutes(router, deps, throttles);

  router.get('/u', requireUser(), (ctx) => {
    ctx.redirect(`/u/${encodeURIComponent(ctx.state.user!.username)}`);
  });
  router.get('/u/', requireUser(), (ctx) => {
    ctx.redirect(`/u/${encodeURIComponent(ctx.state.user!.username)}`);
  });

  return router;
}
