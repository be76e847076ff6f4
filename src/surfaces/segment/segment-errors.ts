import type { FastifyInstance } from 'fastify';
import { toAppError } from '../../platform/error-mapping.js';

/**
 * Answers an AppError in the tracking API's format:
 * `{"success": false, "code": "<catalog code>", "message": "...", "errors"?: [{index, field, message}]}`.
 *
 * Segment documents an oversize event or batch as `400 Bad Request`, so `body_too_large` answers
 * 400 here rather than the catalog's 413 (the code stays the catalog's).
 */
export function registerSegmentErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error, request.log);
    const status = appError.code === 'body_too_large' ? 400 : appError.status;
    for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
    if (appError.code === 'profile_overloaded') reply.header('retry-after', '1');
    return reply
      .status(status)
      .type('application/json')
      .send({
        success: false,
        code: appError.code,
        message: appError.message,
        ...(appError.issues ? { errors: appError.issues } : {}),
      });
  });
}
