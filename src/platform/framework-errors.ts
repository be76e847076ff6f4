import type { IncomingMessage } from 'node:http';
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify';
import { AppError } from '../errors/app-error.js';

/** Renders an AppError in some surface's format (the root's is the native problem+json). */
export type ErrorSender = (
  error: AppError,
  request: FastifyRequest,
  reply: FastifyReply,
) => FastifyReply;

/** A request path the router refused: malformed percent-encoding, or a segment too long. */
class InvalidPathError extends AppError {}

/** Marks a raw request refused by the router, for its second trip through the router. */
const REFUSED = Symbol('tessera.refusedPath');
type MarkedRequest = IncomingMessage & { [REFUSED]?: InvalidPathError };

/** Stands in for each refused segment, so that the path still finds its surface. */
const PLACEHOLDER = '_';

/**
 * Fastify answers a path that it cannot route (`%zz`, `%ED%A0%80`, a parameter over
 * `maxParamLength`) with its own JSON body, before any surface is involved. This lets the
 * surface that the path belongs to answer instead, in its own error format:
 *
 * - `frameworkErrors` (the Fastify constructor option) turns the refusal into a 400 AppError,
 *   replaces each refused path segment with a placeholder, and sends the request through the
 *   router again. The path now lands where it belongs: on a route, or on the not-found handler of
 *   its prefix, so the routing table (not a copy of it) says which surface that is.
 * - `register(app)` (on the root, before the surfaces) adds the `onRequest` hook that fails such a
 *   request (and one whose path or query holds `%00`) at once with its AppError, so the scope's own error handler renders it, before any
 *   authentication or body; and a root error handler that renders it with `answerAtRoot` where no
 *   surface claims the path (the root's 404 scope, health, docs), leaving every other error to
 *   Fastify's default handler as before.
 *
 * The refused path is never echoed back: messages name the problem, not the input.
 */
export function frameworkErrorRouting(answerAtRoot: ErrorSender): {
  frameworkErrors: NonNullable<FastifyServerOptions['frameworkErrors']>;
  register(app: FastifyInstance): void;
} {
  const frameworkErrors = (
    error: FastifyError,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void => {
    const raw = request.raw as MarkedRequest;
    if (error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
      const maxSegment = maxParamLengthOf(request.server);
      const refusal = error.code === 'FST_ERR_BAD_URL' ? badEncoding() : segmentTooLong(maxSegment);
      const rerouted =
        raw[REFUSED] === undefined ? placeholderPath(raw.url ?? '', maxSegment) : null;
      if (rerouted === null) {
        // Refused a second time, or not a path at all: the root answers.
        answerAtRoot(raw[REFUSED] ?? refusal, request, reply);
        return;
      }
      raw[REFUSED] = refusal;
      raw.url = rerouted;
      // Both trips share one request id (genReqId keeps a safe x-request-id), as in the logs.
      raw.headers['x-request-id'] = request.id;
      request.server.routing(raw, reply.raw);
      return;
    }
    // FST_ERR_ASYNC_CONSTRAINT: no route has an asynchronous constraint, so this is a bug.
    request.log.error({ err: error }, 'route constraint failed');
    answerAtRoot(new AppError('internal_error'), request, reply);
  };

  const register = (app: FastifyInstance): void => {
    // Written with `done`, not async: it runs for every request.
    app.addHook('onRequest', (request, _reply, done) => {
      const refusal = (request.raw as MarkedRequest)[REFUSED];
      if (refusal) return done(refusal);
      // A NUL decodes fine, but no database text holds it (PostgreSQL refuses it outright), and
      // tenant lookups read path keys before any route's validation: refused here, for all.
      if (request.raw.url?.includes('%00')) return done(nulInUrl());
      done();
    });
    app.setErrorHandler((error, request, reply) => {
      if (error instanceof InvalidPathError) return answerAtRoot(error, request, reply);
      // Fastify's default handler, as before this handler existed.
      throw error;
    });
  };

  return { frameworkErrors, register };
}

function nulInUrl(): InvalidPathError {
  return new InvalidPathError('validation_failed', 'The request path or query holds a NUL (%00).', [
    { field: 'path', message: 'holds a NUL character (%00)' },
  ]);
}

function badEncoding(): InvalidPathError {
  return new InvalidPathError(
    'validation_failed',
    'The request path is not valid: it has a malformed percent-encoding.',
    [
      {
        field: 'path',
        message:
          'has a malformed percent-encoding (a % must be followed by two hex digits, and the bytes must be UTF-8)',
      },
    ],
  );
}

function segmentTooLong(maxSegment: number): InvalidPathError {
  return new InvalidPathError(
    'validation_failed',
    `A path segment is longer than ${maxSegment} characters.`,
    [{ field: 'path', message: `has a segment longer than ${maxSegment} characters` }],
  );
}

function maxParamLengthOf(app: FastifyInstance): number {
  const config = app.initialConfig;
  return config.routerOptions?.maxParamLength ?? config.maxParamLength ?? 100;
}

/**
 * The path with every segment that the router would refuse (one that does not decode, or one
 * longer than a parameter may be) replaced by a placeholder, without the query string; `null`
 * when the target is not a path.
 */
function placeholderPath(url: string, maxSegment: number): string | null {
  const query = url.indexOf('?');
  let path = query === -1 ? url : url.slice(0, query);
  // An absolute-form target (`GET http://host/path`) is routed by its path.
  const origin = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(path);
  if (origin) path = path.slice(origin[0].length);
  if (!path.startsWith('/')) return null;
  return path
    .split('/')
    .map((segment) => (routable(segment, maxSegment) ? segment : PLACEHOLDER))
    .join('/');
}

function routable(segment: string, maxSegment: number): boolean {
  if (segment.length > maxSegment) return false;
  if (!segment.includes('%')) return true;
  try {
    decodeURIComponent(segment);
    return true;
  } catch {
    return false;
  }
}
