import type { FastifyBaseLogger } from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppError } from '../../errors/app-error.js';
import { acknowledge } from './tracking-routes.js';

function recordingLog() {
  const warnings: unknown[][] = [];
  const log = { warn: (...args: unknown[]) => warnings.push(args) } as unknown as FastifyBaseLogger;
  return { log, warnings };
}

const applied = { profile: null, applied: 1, duplicates: 0, suppressed: 0 };

describe('acknowledge: the Segment answer to the core outcomes', () => {
  it('acknowledges events refused for their identity, logging only their indexes and code', () => {
    const { log, warnings } = recordingLog();
    const answer = acknowledge(
      [
        { indexes: [0, 2], error: new AppError('identity_conflict', 'userId u-1 vs u-2') },
        { indexes: [1], result: applied },
      ],
      log,
    );
    expect(answer).toEqual({ success: true });
    expect(warnings).toEqual([
      [
        { code: 'identity_conflict', indexes: [0, 2] },
        'tracking events acknowledged but not applied',
      ],
    ]);
  });

  it('answers the whole request 429 when the core asks for a retry, so the SDK sends it again', () => {
    const { log } = recordingLog();
    const overloaded = new AppError('profile_overloaded');
    expect(() =>
      acknowledge(
        [
          { indexes: [0], result: applied },
          { indexes: [1], error: overloaded },
        ],
        log,
      ),
    ).toThrow(overloaded);
  });
});
