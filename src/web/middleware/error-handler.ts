import type { Middleware, ParameterizedContext } from 'koa';
import { isTransientConnectError } from '../../db/wait-out-outages';
import { AppError } from '../../errors';
import { discardRestOfBody } from '../discard-body';
import type { Renderer } from '../render';

/**
 * Renders every failure as HTML or JSON (by Accept or an /api path). Known
 * AppErrors show their message; anything else is a generic 500 with the
 * request id, logged with its stack.
 */
export function errorHandler(render: Renderer): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError(404, 'not_found', 'There is nothing at this address.');
      }
    } catch (caught) {
      const error = normalise(caught);
      if (error.reportable) {
        ctx.state.log?.error({ err: caught }, 'request failed');
      }
      await discardRestOfBody(ctx.req);
      respond(ctx, error, render);
    }
  };
}

function normalise(caught: unknown): AppError {
  if (caught instanceof AppError) return caught;
  const status = (caught as { status?: unknown })?.status;
  const expose = (caught as { expose?: unknown })?.expose;
  // Koa/http-errors thrown by body parsers etc. carry a safe status and message.
  if (typeof status === 'number' && status >= 400 && status < 500 && expose === true) {
    const message = (caught as Error).message;
    return new AppError(status, status === 413 ? 'payload_too_large' : 'bad_request', message);
  }
  if (isUnstorableText(caught)) {
    return new AppError(400, 'bad_request', 'Text may not contain NUL characters (U+0000).');
  }
  if (isStatementTimeout(caught)) {
    return new AppError(
      503,
      'service_unavailable',
      'The database took too long to answer this request. Try again in a moment.',
    );
  }
  if (isDatabaseUnavailable(caught)) {
    return new AppError(
      503,
      'service_unavailable',
      'The database is unavailable. Try again in a moment.',
    );
  }
  return new AppError(500, 'internal_error', 'Something went wrong on our side.');
}

/**
 * PostgreSQL text cannot hold U+0000 (22021 for text, 22P05 for jsonb); a JS
 * string is otherwise always valid UTF-8 by the time pg sends it. The request
 * is at fault, not us.
 */
function isUnstorableText(caught: unknown): boolean {
  const native = (caught as { nativeError?: unknown })?.nativeError ?? caught;
  const code = (native as { code?: unknown })?.code;
  return code === '22021' || code === '22P05';
}

/** 57014: cancelled by statement_timeout (DATABASE_STATEMENT_TIMEOUT_MS). */
function isStatementTimeout(caught: unknown): boolean {
  const native = (caught as { nativeError?: unknown })?.nativeError ?? caught;
  return (native as { code?: unknown })?.code === '57014';
}

function isDatabaseUnavailable(caught: unknown): boolean {
  // objection wraps driver errors in a DBError that keeps the original as nativeError.
  const native = (caught as { nativeError?: unknown })?.nativeError ?? caught;
  const name = (caught as { name?: unknown })?.name;
  return isTransientConnectError(native) || name === 'KnexTimeoutError';
}

export function wantsJson(ctx: ParameterizedContext): boolean {
  if (ctx.path.startsWith('/api/') || ctx.path === '/feeds/get' || ctx.path === '/feeds/fetch') {
    return true;
  }
  return ctx.accepts('html', 'json') === 'json';
}

function respond(ctx: ParameterizedContext, error: AppError, render: Renderer): void {
  ctx.status = error.status;
  if (error.status === 429 || error.status === 503) {
    ctx.set('Retry-After', String(error.retryAfterSeconds ?? 10));
  }
  if (wantsJson(ctx)) {
    ctx.body = {
      error: {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
        request_id: ctx.state.requestId,
      },
    };
    return;
  }
  ctx.type = 'html';
  try {
    ctx.body = render(ctx, 'error.njk', { error, requestId: ctx.state.requestId });
  } catch {
    ctx.body = `<!doctype html><title>Error</title><p>${error.status}. Request id ${ctx.state.requestId}</p>`;
  }
}
