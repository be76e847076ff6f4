import type { FastifyInstance } from 'fastify';
import { CONTROL_CHARACTERS } from '../engine/event-fields.js';
import { AppError } from '../errors/app-error.js';

/**
 * Path parameters become identifiers and keys in queries: one holding a control character (a
 * `%00` in the URL) is refused with a 400 in the surface's own format, whatever the database.
 */
export function refuseControlCharactersInParams(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const params = request.params as Record<string, unknown> | undefined;
    for (const name in params) {
      const value = params[name];
      if (typeof value === 'string' && CONTROL_CHARACTERS.test(value)) {
        done(
          new AppError(
            'validation_failed',
            'Path parameters must not contain control characters.',
            [{ field: `params.${name}`, message: 'must not contain control characters' }],
          ),
        );
        return;
      }
    }
    done();
  });
}
