import type { FastifyBaseLogger } from 'fastify';
import { AppError, type ErrorIssue } from '../errors/app-error.js';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: Array<{
    keyword?: string;
    instancePath?: string;
    message?: string;
    params?: Record<string, unknown>;
  }>;
  validationContext?: string;
}

/** Errors of a request stream whose client went away (Node's `aborted`, a closed pipe). */
const CLIENT_GONE = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/**
 * A client that hung up before sending its whole body. Fastify marks the errors of the request
 * body stream with `statusCode: 400` (an ECONNRESET from a database or a webhook never has one),
 * so that is what tells the client's doing from ours.
 */
function isClientAbort(e: FastifyLikeError): boolean {
  return e.statusCode === 400 && e.code !== undefined && CLIENT_GONE.has(e.code);
}

type AjvIssue = NonNullable<FastifyLikeError['validation']>[number];

/** Longest property name quoted back in an issue (the name comes from the request). */
const MAX_NAME_LENGTH = 100;

/**
 * One schema failure as `{field, message}`, the field named down to the property at fault: a
 * missing one, or one the schema does not allow (Ajv reports both on the parent object).
 */
function issueOf(v: AjvIssue, context: string): ErrorIssue {
  const missing = v.params?.missingProperty;
  const unknown = v.keyword === 'additionalProperties' ? v.params?.additionalProperty : undefined;
  const name = missing ?? unknown;
  const named = name === undefined ? '' : `/${String(name).slice(0, MAX_NAME_LENGTH)}`;
  const field = `${context}${`${v.instancePath ?? ''}${named}`.replaceAll('/', '.')}`;
  if (unknown !== undefined) return { field, message: 'is not an allowed property' };
  // Ajv's "must be equal to constant" does not say which constant.
  if (v.keyword === 'const' && v.params && 'allowedValue' in v.params) {
    return { field, message: `must be ${JSON.stringify(v.params.allowedValue)}` };
  }
  return { field, message: v.message ?? 'is not valid' };
}

/**
 * Turns anything thrown while handling a request into an AppError, so that every surface can
 * answer in its own format. Framework errors (bad JSON, body too large, schema validation, a body
 * cut short by the client) keep their 4xx meaning; anything unknown is logged and becomes
 * `internal_error`, never a 4xx and never with its internals in the answer.
 */
export function toAppError(error: unknown, log: FastifyBaseLogger): AppError {
  if (error instanceof AppError) return error;
  const e = error as FastifyLikeError;
  if (e.validation) {
    const context = e.validationContext ?? 'body';
    const issues: ErrorIssue[] = e.validation.map((v) => issueOf(v, context));
    return new AppError('validation_failed', 'The request is not valid.', issues);
  }
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new AppError('body_too_large');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new AppError('unsupported_media_type');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new AppError('invalid_json', 'The request body is empty.');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new AppError('invalid_json');
  }
  if (error instanceof SyntaxError && e.statusCode === 400) {
    // secure-json-parse refusing a prototype-poisoning key, or JSON.parse failing.
    return new AppError('invalid_json', `The request body is not valid JSON: ${e.message}`);
  }
  if (isClientAbort(e)) {
    // Nobody is left to read the answer, and nothing went wrong here: not worth an error line.
    log.debug({ code: e.code }, 'client closed the connection before sending the whole body');
    return new AppError('validation_failed', 'The request body ended before its declared length.');
  }
  if (e.statusCode === 413) return new AppError('body_too_large');
  if (e.statusCode === 415) return new AppError('unsupported_media_type');
  log.error({ err: error }, 'unhandled error');
  return new AppError('internal_error');
}
