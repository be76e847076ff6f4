import type { FastifyInstance, FastifyRequest } from 'fastify';
import { AppError } from '../errors/app-error.js';
import { unstorable, unstorablePath } from '../lib/json-input.js';

/**
 * Most object keys and array items accepted in one body (a cap on the work downstream, which is
 * linear in it): about what a 1 MiB body of small numbers holds, so that a legal batch within
 * the body limit is never refused for it (a Segment batch of product-id lists reached 52,000).
 */
export const MAX_JSON_NODES = 500_000;

/**
 * Depth and size (keys + items) of a parsed JSON value, and the first key or value that cannot
 * be stored as sent (see `unstorable`), computed without recursion so that a hostile body cannot
 * blow the stack.
 */
export function jsonShape(value: unknown): { depth: number; nodes: number; flaw?: string } {
  let depth = 0;
  let nodes = 0;
  const rootFlaw = unstorable(value);
  if (rootFlaw) return { depth, nodes, flaw: rootFlaw };
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [node, level] = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (level > depth) depth = level;
    const isArray = Array.isArray(node);
    for (const key in node) {
      nodes++;
      const keyFlaw = isArray ? undefined : unstorable(key);
      if (keyFlaw) return { depth, nodes, flaw: `${keyFlaw} in a key` };
      const child = (node as Record<string, unknown>)[key];
      if (child !== null && typeof child === 'object') stack.push([child, level + 1]);
      else {
        const flaw = unstorable(child);
        if (flaw) return { depth, nodes, flaw };
      }
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
  /** Mends the parsed body before it is checked (the tracking API's free-form values). */
  mend?: (body: unknown) => void,
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
      // A route that takes no body (an undo, a DELETE) ignores an empty one, whatever its
      // declared type: many clients send `Content-Type: application/json` on every request.
      if (body === '' && request.routeOptions.schema?.body === undefined) return done(null);
      parse(request, body as string, (error: Error | null, value?: unknown) => {
        if (error && isPlainJson(body as string)) {
          // secure-json-parse refused a prototype key (its error does not say so): the body is
          // valid JSON, so say what was refused. Only failed bodies are parsed again.
          return done(
            new AppError(
              'invalid_json',
              'The body holds a "__proto__" key (or "constructor" with "prototype"), which is refused.',
            ),
          );
        }
        if (error) return done(error);
        mend?.(value);
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
        if (shape.flaw) {
          const field = unstorablePath(value) ?? '';
          return done(
            new AppError('invalid_json', `The body holds ${shape.flaw}.`, [
              { field: field === '' ? 'body' : field, message: `holds ${shape.flaw}` },
            ]),
          );
        }
        done(null, value);
      });
    },
  );
}

function isPlainJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
