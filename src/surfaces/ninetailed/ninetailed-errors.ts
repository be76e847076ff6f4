import type { FastifyBaseLogger, FastifyInstance, FastifyReply } from 'fastify';
import type { AppError } from '../../errors/app-error.js';
import { toAppError } from '../../platform/error-mapping.js';

/** The error codes the Experience API documents, plus one for paths it does not serve. */
export type NinetailedErrorCode =
  | 'ERR_INVALID_DATA'
  | 'ERR_CONFIG_NOT_FOUND'
  | 'ERR_PROFILE_NOT_FOUND'
  | 'ERR_NAMESPACE_MISMATCH'
  | 'ERR_PROFILE_OVERLOAD'
  | 'ERR_INTERNAL_SERVER_ERROR'
  | 'ERR_NOT_FOUND';

/**
 * A failure only this dialect has (its tenancy is named in the path, which no service knows
 * about): answered as is, without going through the error catalog.
 */
export class NinetailedError extends Error {
  constructor(
    readonly status: number,
    readonly code: NinetailedErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'NinetailedError';
  }
}

export function configNotFound(): NinetailedError {
  return new NinetailedError(404, 'ERR_CONFIG_NOT_FOUND', 'Organization or environment not found.');
}

export function profileNotFound(message = 'Profile not found.'): NinetailedError {
  return new NinetailedError(404, 'ERR_PROFILE_NOT_FOUND', message);
}

export function namespaceMismatch(): NinetailedError {
  return new NinetailedError(
    404,
    'ERR_NAMESPACE_MISMATCH',
    'The profile belongs to another organization or environment.',
  );
}

/** The documented error envelope: `data` empty, `error.code` machine-readable. */
export function errorBody(code: NinetailedErrorCode, message: string) {
  return { message, data: {}, error: { code } };
}

/**
 * The message of a validation error with its issues spelled out: the envelope has no field for
 * them, and a developer should see which event and field were refused.
 */
function describe(error: AppError): string {
  if (!error.issues || error.issues.length === 0) return error.message;
  const listed = error.issues.slice(0, 10).map((issue) => {
    const where = issue.index === undefined ? issue.field : `events[${issue.index}].${issue.field}`;
    return `${where}: ${issue.message}`;
  });
  const more = error.issues.length > 10 ? ` (and ${error.issues.length - 10} more)` : '';
  return `${error.message} ${listed.join('; ')}${more}`;
}

/** The catalog code of an AppError → this dialect's status and code. */
export function mapAppError(error: AppError): { status: number; code: NinetailedErrorCode } {
  switch (error.code) {
    case 'profile_not_found':
      return { status: 404, code: 'ERR_PROFILE_NOT_FOUND' };
    case 'rate_limited':
    case 'profile_overloaded':
      return { status: 429, code: 'ERR_PROFILE_OVERLOAD' };
    // Kept at their own status (the wire has no code for them), and named invalid data.
    case 'body_too_large':
    case 'unsupported_media_type':
      return { status: error.status, code: 'ERR_INVALID_DATA' };
    case 'internal_error':
      return { status: 500, code: 'ERR_INTERNAL_SERVER_ERROR' };
  }
  if (error.status >= 500) return { status: error.status, code: 'ERR_INTERNAL_SERVER_ERROR' };
  // Everything else a client can cause (validation, bad JSON, an identity conflict) is the
  // documented 400: the SDKs only tell 2xx from the rest, and the message says what happened.
  return { status: 400, code: 'ERR_INVALID_DATA' };
}

/** Sends anything thrown in this dialect's scope as its error envelope. */
export function sendError(
  error: unknown,
  reply: FastifyReply,
  log: FastifyBaseLogger,
): FastifyReply {
  // Browsers may read an error from another origin only with this header on it too.
  reply.header('access-control-allow-origin', '*');
  if (error instanceof NinetailedError) {
    return reply.status(error.status).send(errorBody(error.code, error.message));
  }
  const appError = toAppError(error, log);
  for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
  if (appError.code === 'profile_overloaded') reply.header('retry-after', '1');
  const { status, code } = mapAppError(appError);
  return reply.status(status).send(errorBody(code, describe(appError)));
}

export function registerNinetailedErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => sendError(error, reply, request.log));
  app.setNotFoundHandler((request, reply) =>
    sendError(
      new NinetailedError(
        404,
        'ERR_NOT_FOUND',
        `No route ${request.method} ${request.url.split('?')[0]}.`,
      ),
      reply,
      request.log,
    ),
  );
}
