import type { ParameterizedContext } from 'koa';
import nunjucks from 'nunjucks';
import { viewsDir } from '../paths';

export type Renderer = (
  ctx: ParameterizedContext,
  template: string,
  data?: Record<string, unknown>,
) => string;

/**
 * Nunjucks with autoescaping on: every {{ value }} is HTML-escaped unless a
 * template says `| safe`, which only our own markup may use.
 */
export function createRenderer(globals: Record<string, unknown>): Renderer {
  const env = new nunjucks.Environment(
    new nunjucks.FileSystemLoader(viewsDir, { noCache: false }),
    {
      autoescape: true,
      throwOnUndefined: false,
    },
  );
  for (const [name, value] of Object.entries(globals)) env.addGlobal(name, value);
  env.addFilter('isodate', (value: unknown) =>
    value instanceof Date ? value.toISOString() : String(value ?? ''),
  );
  env.addFilter('date', (value: unknown) =>
    value instanceof Date ? value.toISOString().slice(0, 10) : String(value ?? ''),
  );
  // The first of a form's fields (in page order) that has an error: it gets autofocus.
  env.addFilter('firstInvalid', (errors: unknown, fields: string[]) =>
    errors && typeof errors === 'object'
      ? (fields.find((field) => field in (errors as Record<string, unknown>)) ?? '')
      : '',
  );
  return (ctx, template, data = {}) =>
    env.render(template, {
      ...data,
      currentUser: ctx.state.user,
      // Made only when a template prints it: a visitor reading public pages
      // gets no cookie (and no visitor gets a session row for it: csrf.ts).
      csrfToken: { toString: () => ctx.state.csrfToken ?? '' },
      requestId: ctx.state.requestId,
      flash: ctx.state.flash,
      navUnread: ctx.state.navUnread,
      path: ctx.path,
    });
}
