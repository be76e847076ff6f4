import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from '../../errors/app-error.js';
import { toAppError } from '../../platform/error-mapping.js';

/** Answers an AppError as RFC 9457 problem+json, the native API's error format. */
export function sendProblem(
  appError: AppError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  const body = {
    type: `urn:tessera:problem:${appError.code}`,
    title: appError.message,
    status: appError.status,
    code: appError.code,
    requestId: request.id,
    instance: request.routeOptions.url ?? undefined,
    ...(appError.issues ? { errors: appError.issues } : {}),
  };
  for (const [name, value] of Object.entries(appError.headers)) reply.header(name, value);
  if (appError.code === 'profile_overloaded') reply.header('retry-after', '1');
  return reply.status(appError.status).type('application/problem+json').send(body);
}

/** The native scope's error and not-found handlers: problem+json. */
export function registerNativeErrors(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) =>
    sendProblem(toAppError(error, request.log), request, reply),
  );
  app.setNotFoundHandler((request, reply) => {
    reply.send(
      new AppError(
        'not_found',
        `No route ${request.method} ${request.routeOptions.url ?? ''}`.trim(),
      ),
    );
  });
}
