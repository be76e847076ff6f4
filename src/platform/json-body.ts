import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

/** Most object keys and array items accepted in one body (a cap on parse-time work downstream). */
export const MAX_JSON_NODES = 50_000;

/**
 * Depth and size (keys + items) of a parsed JSON value, computed without recursion so that a
 * hostile body cannot blow the stack.
 */
export function jsonShape(value: unknown): { depth: number; nodes: number } {
  let depth = 0;
  let nodes = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (level > depth) depth = level;
    for (const child of Object.values(node)) {
      nodes++;
      if (child !== null && typeof child === 'object') stack.push([child, level + 1]);
    }
  }
  return { depth, nodes };
}

/**
 * Registers the JSON body parser for `contentTypes`: Fastify's own (secure-json-parse, which
 * rejects `__proto__` and `constructor.prototype` keys) followed by a nesting-depth cap.
 * Surfaces whose SDKs post JSON as `text/plain` add that type in their own scope.
 */
export function registerJsonParser(
  app: FastifyInstance,
  contentTypes: string | string[],
  maxDepth: number,
): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser(
    contentTypes,
    { parseAs: 'string' },
    (
      request: FastifyRequest,
      body: string | Buffer,
      done: (err: Error | null, body?: unknown) => void,
    ) => {
      parse(request, body as string, (error: Error | null, value?: unknown) => {
        if (error) return done(error);
        const shape = jsonShape(value);
        if (shape.depth > maxDepth) {
          return done(
            new AppError('json_too_deep', `JSON nesting deeper than ${maxDepth} levels.`),
          );
        }
        if (shape.nodes > MAX_JSON_NODES) {
          return done(
            new AppError(
              'json_too_deep',
              `More than ${MAX_JSON_NODES} keys and items in one body.`,
            ),
          );
        }
        done(null, value);
      });
    },
  );
}
