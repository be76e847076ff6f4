import type { FastifyBaseLogger } from 'fastify';
import { AppError, type ErrorIssue } from '../errors/app-error.js';

interface FastifyLikeError {
  code?: string;
  statusCode?: number;
  message: string;
  validation?: Array<{ instancePath?: string; message?: string; params?: Record<string, unknown> }>;
  validationContext?: string;
}

/**
 * Turns anything thrown while handling a request into an AppError, so that every surface can
 * answer in its own format. Framework errors (bad JSON, body too large, schema validation) keep
 * their 4xx meaning; anything unknown is logged and becomes `internal_error`, never a 4xx and
 * never with its internals in the answer.
 */
export function toAppError(error: unknown, log: FastifyBaseLogger): AppError {
  if (error instanceof AppError) return error;
  const e = error as FastifyLikeError;
  if (e.validation) {
    const issues: ErrorIssue[] = e.validation.map((v) => {
      const missing = v.params?.missingProperty;
      const path = `${v.instancePath ?? ''}${missing ? `/${String(missing)}` : ''}`;
      const field = `${e.validationContext ?? 'body'}${path.replaceAll('/', '.')}`;
      return { field, message: v.message ?? 'is not valid' };
    });
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
  if (e.statusCode === 413) return new AppError('body_too_large');
  if (e.statusCode === 415) return new AppError('unsupported_media_type');
  log.error({ err: error }, 'unhandled error');
  return new AppError('internal_error');
}
