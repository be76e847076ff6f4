import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';

/** Depth of a parsed JSON value, computed without recursion (a hostile body cannot blow the stack). */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > max) max = depth;
    for (const child of Object.values(node)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return max;
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
        if (jsonDepth(value) > maxDepth) {
          return done(
            new AppError('json_too_deep', `JSON nesting deeper than ${maxDepth} levels.`),
          );
        }
        done(null, value);
      });
    },
  );
}
