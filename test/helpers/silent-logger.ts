import type { FastifyBaseLogger } from 'fastify';

/** A logger that drops everything, for modules tested outside a server. */
export const silentLogger = {
  info() {},
  warn() {},
  error() {},
  debug() {},
  trace() {},
  fatal() {},
  child() {
    return silentLogger;
  },
} as unknown as FastifyBaseLogger;
