import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../errors/app-error.js';
import { toAppError } from '../../platform/error-mapping.js';
import { SuppressedWrite } from './profile-management-context.js';

/**
 * The error body of the 001 dialect. Synerise's services are Spring Boot applications and answer
 * errors in Spring's default shape, so clients written against it read `status` and `message`
 * from there. Our request id is kept beside it (`requestId`), and a validation failure lists its
 * fields in `errors` (Spring's `BindingResult` style) so that "bad input" is always explained.
 */
export const SpringErrorSchema = Type.Object(
  {
    timestamp: Type.String({ format: 'date-time' }),
    status: Type.Integer(),
    error: Type.String({ description: 'The HTTP reason phrase' }),
    message: Type.String(),
    path: Type.String(),
    requestId: Type.String(),
    code: Type.String({ description: "Tessera's error code (stable, machine-readable)" }),
    errors: Type.Optional(
      Type.Array(
        Type.Object({
          field: Type.String(),
          message: Type.String(),
          index: Type.Optional(Type.Integer()),
        }),
      ),
    ),
  },
  { $id: 'SpringError', title: 'Spring-style error' },
);

/** A write about a person who opted out: acknowledged, nothing stored (see SuppressedWrite). */
export const SuppressedAnswer = Type.Object(
  {
    clientId: Type.Null(),
    accepted: Type.Integer(),
    duplicates: Type.Integer(),
    suppressed: Type.Integer(),
  },
  { description: 'The person opted out: the write was acknowledged and dropped' },
);

/** The schema's responses for the errors every route can answer. */
export const errorResponses = {
  400: Type.Ref('SpringError'),
  401: Type.Ref('SpringError'),
  403: Type.Ref('SpringError'),
  404: Type.Ref('SpringError'),
};

function messageOf(error: AppError): string {
  if (error.code === 'validation_failed' && error.issues?.length) {
    return error.issues
      .map((i) => `${i.index === undefined ? '' : `[${i.index}] `}${i.field} ${i.message}`.trim())
      .join('; ');
  }
  return error.message;
}

function send(request: FastifyRequest, reply: FastifyReply, appError: AppError) {
  for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
  if (appError.code === 'profile_overloaded') reply.header('retry-after', '1');
  return reply
    .status(appError.status)
    .type('application/json')
    .send({
      timestamp: new Date().toISOString(),
      status: appError.status,
      error: STATUS_CODES[appError.status] ?? 'Error',
      message: messageOf(appError),
      path: request.url.split('?')[0],
      requestId: request.id,
      code: appError.code,
      ...(appError.issues ? { errors: appError.issues } : {}),
    });
}

/** Answers every error of the surface in the Spring shape. */
export function registerProfileManagementErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    // Not an error: acknowledged and dropped (an opted-out person), answered as events are.
    if (error instanceof SuppressedWrite) {
      return reply.status(202).type('application/json').send({
        clientId: null,
        accepted: 0,
        duplicates: 0,
        suppressed: error.suppressed,
      });
    }
    return send(request, reply, toAppError(error, request.log));
  });
}

/** Answers unknown routes of a path prefix (`/v4`, `/crm/v1`, …) in the Spring shape. */
export function registerProfileManagementNotFound(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) =>
    send(
      request,
      reply,
      new AppError('not_found', `No endpoint ${request.method} ${request.url.split('?')[0]}`),
    ),
  );
}
