/**
 * What the global body parser's refusals tell the client, worded for what it
 * sent: the API takes only JSON (a form there is a 415 once the route reads
 * it), the pages take forms, and scripts may send JSON to either.
 */
import type { Context } from 'koa';
import { API_PREFIX } from '../api/routes';
import { AppError, badRequest, payloadTooLarge } from '../errors';

/** raw-body's, inflation's and co-body's errors carry the status they mean. */
type BodyError = Error & { status?: number };

export function bodyParseError(error: BodyError, ctx: Context): AppError {
  if (error.status === 413) {
    return payloadTooLarge('The request body is too large: the limit is 1 MB.');
  }
  if (error.status === 415) {
    // An unknown Content-Encoding: the client's own header, named back to it.
    return new AppError(
      415,
      'unsupported_media_type',
      `The request body could not be read: ${error.message}.`,
    );
  }
  if (ctx.request.is('json')) {
    // co-body's strict mode: only an object or an array; @hapi/bourne: no __proto__ keys.
    if (/only supports object and array/.test(error.message)) {
      return badRequest('The request body could not be parsed: send a JSON object.');
    }
    if (/prototype/.test(error.message)) {
      return badRequest(
        'The request body could not be parsed: JSON keys named __proto__ are refused.',
      );
    }
    return badRequest('The request body could not be parsed: it is not valid JSON.');
  }
  if (ctx.path === API_PREFIX || ctx.path.startsWith(`${API_PREFIX}/`)) {
    return badRequest(
      'The request body could not be parsed: the API takes JSON, with Content-Type: application/json.',
    );
  }
  return badRequest('The form data could not be parsed: send the form again.');
}
