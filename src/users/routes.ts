import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, forbidden, tooManyRequests } from '../errors';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, parseForm, safeNext } from '../web/validate';
import { login, profileEdit, registration, tokenCreate } from './schemas';
import {
  authenticate,
  createApiToken,
  createUser,
  getProfile,
  listApiTokens,
  revokeApiToken,
  updateBio,
} from './service';
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

  router.get('/settings/tokens', requireUser(), async (ctx) => {
    const tokens = await listApiTokens(ctx.state.user!.id);
    ctx.body = render(ctx, 'users/tokens.njk', { tokens, created: undefined, errors: {} });
  });

  router.post('/settings/tokens', requireUser(), async (ctx) => {
    const parsed = parseForm(tokenCreate, ctx.request.body);
    if (!parsed.ok) {
      ctx.status = 422;
      const tokens = await listApiTokens(ctx.state.user!.id);
      ctx.body = render(ctx, 'users/tokens.njk', {
        tokens,
        created: undefined,
        errors: parsed.errors,
      });
      return;
    }
    const { token } = await createApiToken({ userId: ctx.state.user!.id, name: parsed.value.name });
    const tokens = await listApiTokens(ctx.state.user!.id);
    // Shown once, on this response only; never stored in plain text.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = render(ctx, 'users/tokens.njk', { tokens, created: token, errors: {} });
  });

  router.post('/settings/tokens/:id/delete', requireUser(), async (ctx) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id)) throw new AppError(404, 'not_found', 'There is no such token.');
    await revokeApiToken(ctx.state.user!.id, id);
    setFlash(ctx, 'info', 'Token revoked.');
    ctx.redirect('/settings/tokens');
  });

  return router;
}
