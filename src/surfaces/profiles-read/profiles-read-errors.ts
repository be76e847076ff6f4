import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors/app-error.js';
import type { ErrorCode } from '../../errors/error-catalog.js';
import { toAppError } from '../../platform/error-mapping.js';

/** The error codes the profiles read API documents. */
export type ProfilesReadErrorCode =
  | 'authentication_error'
  | 'invalid_request_error'
  | 'rate_limit_error'
  | 'validation_error'
  | 'not_found'
  | 'internal_server_error';

/** The document's one example message, for a profile id without `type:` in front. */
export const PROFILE_ID_FORMAT_MESSAGE = 'ProfileID must be in format of id_type:id';

/**
 * Our catalog codes onto the dialect's `{code, status}`. Only the codes that differ from the
 * fallback (by status class) are listed, so that a code added to the catalog later still maps.
 * The document has no 403 and defines 401 as "no valid Access Secret provided": a key without
 * the `read` scope is not a valid secret for this read-only API, so it answers 401 too.
 */
const MAPPED: Partial<Record<ErrorCode, { code: ProfilesReadErrorCode; status: number }>> = {
  unauthorized: { code: 'authentication_error', status: 401 },
  invalid_token: { code: 'authentication_error', status: 401 },
  insufficient_scope: { code: 'authentication_error', status: 401 },
  invalid_reference: { code: 'validation_error', status: 400 },
  not_found: { code: 'not_found', status: 404 },
  profile_not_found: { code: 'not_found', status: 404 },
  rate_limited: { code: 'rate_limit_error', status: 429 },
  profile_overloaded: { code: 'rate_limit_error', status: 429 },
  // The document: "exceeding this will return a 413 Error"; it names no code for it.
  body_too_large: { code: 'invalid_request_error', status: 413 },
  // No 415 in the document; a type it cannot read is an invalid request.
  unsupported_media_type: { code: 'invalid_request_error', status: 400 },
};

function dialectError(error: AppError): { code: ProfilesReadErrorCode; status: number } {
  const mapped = MAPPED[error.code];
  if (mapped) return mapped;
  if (error.status >= 500) return { code: 'internal_server_error', status: error.status };
  return { code: 'invalid_request_error', status: error.status };
}

/** A schema failure's issues as one sentence: the dialect's body has no list of issues. */
function messageOf(error: AppError): string {
  if (error.code === 'invalid_reference') return PROFILE_ID_FORMAT_MESSAGE;
  if (error.code === 'profile_not_found') return 'Profile was not found.';
  if (error.code === 'validation_failed' && error.issues?.length) {
    return error.issues.map((issue) => `${issue.field} ${issue.message}`).join('; ');
  }
  return error.message;
}

/**
 * Answers every error of the surface as `{"error": {"code", "message"}}`, keeping the headers
 * the AppError carries (WWW-Authenticate, Retry-After, RateLimit-*).
 */
export function registerProfilesReadErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request.log);
    const { code, status } = dialectError(appError);
    for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
    if (appError.code === 'profile_overloaded') reply.header('retry-after', '1');
    return reply
      .status(status)
      .type('application/json')
      .send({ error: { code, message: messageOf(appError) } });
  });
  app.setNotFoundHandler((_request, reply) => {
    reply.send(new AppError('not_found', 'No such endpoint.'));
  });
}
