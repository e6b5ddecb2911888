import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, forbidden, tooManyRequests } from '../errors';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, parseForm, safeNext } from '../web/validate';
import { login, profileEdit, registration } from './schemas';
import { authenticate, createUser, getProfile, updateBio } from './service';
import { clearFailures, isThrottled, recordFailure } from './throttle';

function signIn(ctx: ParameterizedContext, user: { id: number; username: string }): void {
  // A fresh session at login: nothing an attacker planted in the old one survives,
  // and the CSRF token is new (csrfProtection makes one on the next request).
  ctx.session = null;
  ctx.session = { uid: user.id, username: user.username } as never;
}

export function userRoutes({ config, render, db }: WebDeps): Router {
  const router = new Router();

  router.get('/auth/register', (ctx) => {
    if (!config.allowUserRegistration)
      throw new AppError(403, 'registration_closed', 'Registration is closed on this server.');
    ctx.body = render(ctx, 'auth/register.njk', { values: {}, errors: {} });
  });

  router.post('/auth/register', async (ctx) => {
    if (!config.allowUserRegistration)
      throw new AppError(403, 'registration_closed', 'Registration is closed on this server.');
    const parsed = parseForm(registration, ctx.request.body);
    const values = { username: bodyOf(ctx).username, email: bodyOf(ctx).email };
    if (!parsed.ok) {
      ctx.status = 422;
      ctx.body = render(ctx, 'auth/register.njk', { values, errors: parsed.errors });
      return;
    }
    try {
      const user = await createUser(parsed.value);
      signIn(ctx, user);
      setFlash(ctx, 'info', `Welcome, ${user.username}! Save your first bookmark.`);
      ctx.redirect('/bookmarks/new');
    } catch (error) {
      if (error instanceof AppError && error.status === 409) {
        ctx.status = 409;
        ctx.body = render(ctx, 'auth/register.njk', { values, errors: { _: error.message } });
        return;
      }
      throw error;
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
    const keys = [`user:${parsed.value.username.toLowerCase()}`, `ip:${ctx.ip}`];
    const waitSeconds = await isThrottled(db.knex, keys);
    if (waitSeconds !== undefined) {
      ctx.set('Retry-After', String(waitSeconds));
      throw tooManyRequests(
        `Too many failed logins. Try again in ${Math.ceil(waitSeconds / 60)} minutes.`,
      );
    }
    const user = await authenticate(parsed.value.username, parsed.value.password);
    if (!user) {
      await recordFailure(db.knex, keys);
      ctx.status = 401;
      ctx.body = render(ctx, 'auth/login.njk', {
        values: { username: parsed.value.username },
        errors: { _: 'That username and password do not match.' },
        next,
      });
      return;
    }
    await clearFailures(db.knex, keys);
    if (user.disabled_at) {
      // accounts: an administrator disabled this account (user:disable).
      const _ = 'This account is disabled. Ask the administrator of this server.';
      ctx.status = 403;
      ctx.body = render(ctx, 'auth/login.njk', { values: {}, errors: { _ }, next });
      return;
    }
    signIn(ctx, user);
    ctx.redirect(next || `/u/${encodeURIComponent(user.username)}`);
  });

  router.post('/auth/logout', (ctx) => {
    ctx.session = null;
    ctx.redirect('/');
  });

  router.get('/u', requireUser(), (ctx) => {
    ctx.redirect(`/u/${encodeURIComponent(ctx.state.user!.username)}`);
  });
  router.get('/u/', requireUser(), (ctx) => {
    ctx.redirect(`/u/${encodeURIComponent(ctx.state.user!.username)}`);
  });

  router.get('/u/:username/edit', requireUser(), async (ctx) => {
    const { user, bio } = await getProfile(ctx.params.username!);
    if (user.id !== ctx.state.user!.id) throw forbidden('You can only edit your own profile.');
    ctx.body = render(ctx, 'users/edit.njk', { profileUser: user, values: { bio }, errors: {} });
  });

  router.post('/u/:username/edit', requireUser(), async (ctx) => {
    const { user } = await getProfile(ctx.params.username!);
    if (user.id !== ctx.state.user!.id) throw forbidden('You can only edit your own profile.');
    const parsed = parseForm(profileEdit, ctx.request.body);
    if (!parsed.ok) {
      ctx.status = 422;
      ctx.body = render(ctx, 'users/edit.njk', {
        profileUser: user,
        values: bodyOf(ctx),
        errors: parsed.errors,
      });
      return;
    }
    await updateBio(user.id, parsed.value.bio);
    setFlash(ctx, 'info', 'Profile saved.');
    ctx.redirect(`/u/${encodeURIComponent(user.username)}`);
  });

  return router;
}
