/**
 * POST /bookmarks/bulk: the list's "with the selected bookmarks…" form. It
 * works without JavaScript: the checkboxes belong to the form by form="bulk".
 * A delete, or a form with a mistake, goes through a page that lists what
 * was selected; everything else is applied and the list shown again.
 */
import Router from '@koa/router';
import type { ParameterizedContext } from 'koa';
import type { WebDeps } from '../web/deps';
import { requireUser, setFlash } from '../web/middleware/auth';
import { bodyOf, type FieldErrors, parseForm, parseOrThrow } from '../web/validate';
import { type BulkOutcome, bulkEditBookmarks, getOwnBookmarks } from './bulk';
import { type BulkAction, type BulkForm, bulkForm } from './schemas';
import { suggestTags } from './tag-service';
import { MAX_TAGS } from './tags';

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What happened, in the flash after a bulk change. */
export function bulkMessage(form: Pick<BulkForm, 'action' | 'tags'>, outcome: BulkOutcome): string {
  const { selected, changed, missing, full } = outcome;
  const rest = selected - changed - full;
  const names = form.tags.map((tag) => `“${tag}”`).join(', ');
  const them = form.tags.length === 1 ? 'it' : 'them';
  const parts: Record<BulkAction, string> = {
    tag: `Added ${names} to ${plural(changed, 'bookmark')}${rest ? `; ${rest} already had ${them}` : ''}.`,
    untag: `Removed ${names} from ${plural(changed, 'bookmark')}${rest ? `; ${rest} did not have ${them}` : ''}.`,
    private: `Made ${plural(changed, 'bookmark')} private${rest ? `; ${rest} already were` : ''}.`,
    public: `Made ${plural(changed, 'bookmark')} public${rest ? `; ${rest} already were` : ''}.`,
    delete: `Deleted ${plural(changed, 'bookmark')}.`,
  };
  const gone = missing
    ? ` ${plural(missing, 'selected bookmark')} no longer existed and ${missing === 1 ? 'was' : 'were'} left out.`
    : '';
  const tooMany = full
    ? ` ${plural(full, 'bookmark')} would have had more than ${MAX_TAGS} tags and ${full === 1 ? 'was' : 'were'} left as ${full === 1 ? 'it was' : 'they were'}.`
    : '';
  return parts[form.action] + tooMany + gone;
}

export function bulkRoutes({ render }: WebDeps): Router {
  const router = new Router();

  const showSelection = async (
    ctx: ParameterizedContext,
    page: { ids: number[]; action: string; tags: string; back: string; errors?: FieldErrors },
    status: number,
  ) => {
    const ownerId = ctx.state.user!.id;
    ctx.status = status;
    ctx.body = render(ctx, 'bookmarks/bulk.njk', {
      errors: {},
      ...page,
      focus: page.errors?.tags ? 'tags' : undefined,
      bookmarks: await getOwnBookmarks({ ownerId, ids: page.ids }),
      tagSuggestions: await suggestTags(ownerId),
    });
  };

  router.post('/bookmarks/bulk', requireUser(), async (ctx) => {
    const body = bodyOf(ctx);
    const user = ctx.state.user!;
    const parsed = parseForm(bulkForm, body);
    if (!parsed.ok && !parsed.errors.ids && !parsed.errors.action) {
      // Only the tags are wrong: show the selection again with the error.
      const ids = parseOrThrow(bulkForm.shape.ids, body.ids);
      const tags = typeof body.tags === 'string' ? body.tags : '';
      const back = parseOrThrow(bulkForm.shape.back, body.back) ?? `/u/${user.username}`;
      const action = String(body.action);
      return showSelection(ctx, { ids, action, tags, back, errors: parsed.errors }, 422);
    }
    const form = parseOrThrow(bulkForm, body); // a broken selection or action: the error page
    const back = form.back ?? `/u/${encodeURIComponent(user.username)}`;
    if (form.ids.length === 0) {
      setFlash(ctx, 'error', 'Nothing was changed: tick the bookmarks to change first.');
      return ctx.redirect(back);
    }
    if (form.action === 'delete' && !form.confirm) {
      return showSelection(ctx, { ids: form.ids, action: 'delete', tags: '', back }, 200);
    }
    const outcome = await bulkEditBookmarks({
      ownerId: user.id,
      ids: form.ids,
      action: form.action,
      tags: form.tags,
    });
    setFlash(ctx, 'info', bulkMessage(form, outcome));
    ctx.redirect(back);
  });

  return router;
}
