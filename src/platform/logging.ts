import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

/**
 * Logger options. Personal data never lands in logs: requests are logged by route pattern
 * (`/v1/profiles/:ref`), never by URL (which may hold an email or a user id), and credential
 * headers are redacted should anything log headers.
 */
export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers["auth-token"]',
        'req.headers.cookie',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; id: string; routeOptions?: { url?: string } }) {
        return {
          method: request.method,
          route: request.routeOptions?.url ?? '(unmatched)',
          id: request.id,
        };
      },
      res(reply: { statusCode: number }) {
        return { statusCode: reply.statusCode };
      },
    },
  };
}

export type Logger = FastifyBaseLogger;
