import type { FastifyInstance, RawRequestDefaultExpression } from 'fastify';
import { newId } from '../lib/ids.js';

/** A client-supplied request id is kept only if it is short and harmless in a log line. */
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Fastify `genReqId`: the caller's `x-request-id` when safe, else a new time-ordered id. */
export function genRequestId(req: RawRequestDefaultExpression): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : newId();
}

/**
 * Echoes the request id on every response, errors included. (Hooks that never wait are written
 * with `done`: an async one costs every request a promise and a turn of the microtask queue.)
 */
export function registerRequestIdEcho(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}
