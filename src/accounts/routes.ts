/**
 * /settings: the account (profile, email), API tokens, and deleting the
 * account. Each handler: signed in → validate → one service call → redirect
 * (POST-redirect-GET: a refresh repeats nothing), or the page again with the
 * form's errors.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import { AppError, forbidden, notFound } from '../errors';
import {
  createApiToken,
  createThrottles,
  getProfile,
  listApiTokens,
  revokeApiToken,
} from '../users';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { replaceSession } from '../web/middleware/session';
import { resolveSecretKey } from '../web/secret-key';
import { bodyOf, type FieldErrors, parseForm } from '../web/validate';
import { type PostedForm, postedForm, presentTokens } from './presenters';
import { deletionForm, emailForm, profileForm, tokenForm } from './schemas';
import {
  changeEmail,
  deleteAccount,
  type PasswordProof,
  summarizeAccount,
  updateProfile,
} from './service';
import { renderSettings } from './settings-page';
import { tokenSealer } from './token-reveal';

const me = (ctx: ParameterizedContext) => ctx.state.user!.id;

/** A service's answer about the form (a wrong password, a taken email, too many tries). */
function formErrors(error: unknown): { status: number; errors: FieldErrors } | undefined {
  if (!(error instanceof AppError)) return undefined;
  const fields = error.details?.fields as FieldErrors | undefined;
  if (error.status === 422 && fields) return { status: 422, errors: fields };
  if (error.status === 429) return { status: 429, errors: { _: error.message } };
  return undefined;
}

export function accountRoutes({ config, render, db }: WebDeps): Router {
  const router = new Router();
  const throttles = createThrottles(db.knex, config.security);
  const proof = (ctx: ParameterizedContext, password: string): PasswordProof => ({
    password,
    throttles,
    address: ctx.ip,
  });
  const sealer = tokenSealer(resolveSecretKey(config));
  const signedIn = requireUser();

  /**
   * Runs one form's action. Invalid input (thrown as `invalid`) and the
   * service's verdict on it show `page` again with that form's errors and
   * what was typed; true when the action went through.
   */
  const submit = async (
    ctx: ParameterizedContext,
    form: { name: string; values: Record<string, unknown> },
    page: (posted: PostedForm) => Promise<string>,
    action: () => Promise<void>,
  ): Promise<boolean> => {
    try {
      await action();
      return true;
    } catch (error) {
      const failed = formErrors(error);
      if (!failed) throw error;
      ctx.status = failed.status;
      ctx.body = await page(postedForm(form.name, failed.errors, form.values));
      return false;
    }
  };
  const settingsPage = (ctx: ParameterizedContext) => (posted: PostedForm) =>
    renderSettings(ctx, render, posted);

  router.get('/settings', signedIn, async (ctx) => {
    ctx.body = await renderSettings(ctx, render);
  });

  router.post('/settings/profile', signedIn, async (ctx) => {
    const parsed = parseForm(profileForm, ctx.request.body);
    const form = { name: 'profile', values: { bio: bodyOf(ctx).bio } };
    const ok = await submit(ctx, form, settingsPage(ctx), async () => {
      if (!parsed.ok) throw invalid(parsed.errors);
      await updateProfile({ userId: me(ctx), bio: parsed.value.bio });
    });
    if (ok) redirect(ctx, '/settings#profile', 'Profile saved.');
  });

  // The bio used to have a page of its own. Old links still lead to it (a
  // GET goes to the form on /settings) and a form still open in a tab still
  // saves (308: the browser posts the same body, token included, there).
  const ownProfile = async (ctx: ParameterizedContext) => {
    const { user } = await getProfile(ctx.params.username!);
    if (user.id !== me(ctx)) throw forbidden('You can only edit your own profile.');
  };
  router.get('/u/:username/edit', signedIn, async (ctx) => {
    await ownProfile(ctx);
    ctx.redirect('/settings#profile');
  });
  router.post('/u/:username/edit', signedIn, async (ctx) => {
    await ownProfile(ctx);
    ctx.status = 308;
    ctx.redirect('/settings/profile');
  });

  router.post('/settings/email', signedIn, async (ctx) => {
    const parsed = parseForm(emailForm, ctx.request.body);
    const form = { name: 'email', values: { email: bodyOf(ctx).email } };
    const ok = await submit(ctx, form, settingsPage(ctx), async () => {
      if (!parsed.ok) throw invalid(parsed.errors);
      await changeEmail({
        userId: me(ctx),
        email: parsed.value.email,
        proof: proof(ctx, parsed.value.current_password),
      });
    });
    if (ok && parsed.ok) {
      redirect(ctx, '/settings#email', `Your email address is now ${parsed.value.email}.`);
    }
  });

  const tokensPage = async (ctx: ParameterizedContext, posted?: PostedForm) => {
    ctx.set('Cache-Control', 'no-store');
    const tokens = await listApiTokens(me(ctx));
    // A token created by the POST that led here: shown on this response only,
    // unless it was revoked meanwhile.
    const waiting = ctx.session?.newToken;
    if (waiting) delete ctx.session!.newToken;
    const live = waiting && tokens.some((token) => token.id === waiting.tokenId);
    const created = live ? sealer.open(me(ctx), waiting) : undefined;
    return render(ctx, 'settings/tokens.njk', {
      section: 'tokens',
      tokens: presentTokens(tokens),
      created,
      posted,
    });
  };

  router.get('/settings/tokens', signedIn, async (ctx) => {
    ctx.body = await tokensPage(ctx);
  });

  router.post('/settings/tokens', signedIn, async (ctx) => {
    const parsed = parseForm(tokenForm, ctx.request.body);
    if (!parsed.ok) {
      ctx.status = 422;
      ctx.body = await tokensPage(ctx, postedForm('token', parsed.errors, bodyOf(ctx)));
      return;
    }
    const { token, record } = await createApiToken({ userId: me(ctx), name: parsed.value.name });
    if (ctx.session) ctx.session.newToken = sealer.seal(me(ctx), record.id, token);
    ctx.redirect('/settings/tokens');
  });

  router.post('/settings/tokens/:id/delete', signedIn, async (ctx) => {
    const id = Number(ctx.params.id);
    if (!Number.isSafeInteger(id)) throw notFound('There is no such token.');
    await revokeApiToken(me(ctx), id);
    redirect(ctx, '/settings/tokens', 'Token revoked.');
  });

  const deletePage = async (ctx: ParameterizedContext, posted?: PostedForm) => {
    ctx.set('Cache-Control', 'no-store');
    const summary = await summarizeAccount(me(ctx));
    return render(ctx, 'settings/delete.njk', { section: 'delete', summary, posted });
  };

  router.get('/settings/delete', signedIn, async (ctx) => {
    ctx.body = await deletePage(ctx);
  });

  router.post('/settings/delete', signedIn, async (ctx) => {
    const parsed = parseForm(deletionForm, ctx.request.body);
    const form = { name: 'delete', values: {} };
    const ok = await submit(
      ctx,
      form,
      (posted) => deletePage(ctx, posted),
      async () => {
        if (!parsed.ok) throw invalid(parsed.errors);
        await deleteAccount({
          userId: me(ctx),
          proof: proof(ctx, parsed.value.current_password),
        });
      },
    );
    if (!ok) return;
    // Signed out, in a fresh session that carries only the goodbye (the
    // account's sessions went with it).
    await replaceSession(ctx, {
      flash: { kind: 'info', message: 'Your account and everything in it have been deleted.' },
    });
    ctx.redirect('/');
  });

  return router;
}

function invalid(errors: FieldErrors): AppError {
  return new AppError(422, 'validation_failed', 'Check the form.', { fields: errors });
}

/** POST-redirect-GET with a message for the page it leads to. */
function redirect(ctx: ParameterizedContext, to: string, message: string): void {
  setFlash(ctx, 'info', message);
  ctx.redirect(to);
}
