import type { FastifyInstance } from 'fastify';
import { CONTROL_CHARACTERS } from '../engine/event-fields.js';
import { AppError } from '../errors/app-error.js';

/**
 * Path parameters become identifiers and keys in queries: one holding a control character (a
 * `%00` in the URL) is refused with a 400 in the surface's own format, whatever the database.
 */
export function refuseControlCharactersInParams(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const params = request.params as Record<string, unknown> | undefined;
    if (!params) return;
    for (const [name, value] of Object.entries(params)) {
      if (typeof value === 'string' && CONTROL_CHARACTERS.test(value)) {
        throw new AppError(
          'validation_failed',
          'Path parameters must not contain control characters.',
          [{ field: `params.${name}`, message: 'must not contain control characters' }],
        );
      }
    }
  });
}
