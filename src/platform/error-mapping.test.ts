import { describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../test/helpers/silent-logger.js';
import { toAppError } from './error-mapping.js';

function connectionReset(statusCode?: number): Error {
  return Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode });
}

describe('toAppError', () => {
  it('takes a request body cut short by its client for a client error, logged at debug only', () => {
    const log = { ...silentLogger, error: vi.fn(), debug: vi.fn() };
    const error = toAppError(connectionReset(400), log as unknown as typeof silentLogger);
    expect(error.status).toBe(400);
    expect(error.code).not.toBe('internal_error');
    expect(log.error).not.toHaveBeenCalled();
    expect(log.debug).toHaveBeenCalledOnce();
  });

  it('keeps a connection reset of our own (a database, a webhook) an internal error', () => {
    const log = { ...silentLogger, error: vi.fn() };
    const error = toAppError(connectionReset(), log as unknown as typeof silentLogger);
    expect(error.code).toBe('internal_error');
    expect(log.error).toHaveBeenCalledOnce();
  });

  it('names the constant a field must equal', () => {
    const error = toAppError(
      {
        message: 'body/type must be equal to constant',
        validationContext: 'body',
        validation: [
          {
            keyword: 'const',
            instancePath: '/type',
            message: 'must be equal to constant',
            params: { allowedValue: 'optOut' },
          },
        ],
      },
      silentLogger,
    );
    expect(error.issues).toEqual([{ field: 'body.type', message: 'must be "optOut"' }]);
  });

  it('names a property the schema does not allow, cut to a readable length', () => {
    const error = toAppError(
      {
        message: 'body/settings must NOT have additional properties',
        validationContext: 'body',
        validation: [
          {
            keyword: 'additionalProperties',
            instancePath: '/settings',
            message: 'must NOT have additional properties',
            params: { additionalProperty: 'rateLimitPerSecond' },
          },
          {
            keyword: 'additionalProperties',
            instancePath: '',
            message: 'must NOT have additional properties',
            params: { additionalProperty: 'x'.repeat(5_000) },
          },
        ],
      },
      silentLogger,
    );
    expect(error.issues?.[0]).toEqual({
      field: 'body.settings.rateLimitPerSecond',
      message: 'is not an allowed property',
    });
    expect(error.issues?.[1]?.field).toBe(`body.${'x'.repeat(100)}`);
  });
});
