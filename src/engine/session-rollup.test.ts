import { describe, expect, it } from 'vitest';
import cases from './cases/session-rollup.json' with { type: 'json' };
import { rollSession } from './session-rollup.js';
import type { CanonicalEvent, SessionState } from './types.js';

type SessionEvent = Pick<CanonicalEvent, 'type' | 'timestamp' | 'properties' | 'context'>;

interface SessionCase {
  name: string;
  /** Events are rolled in order onto `session`. */
  input: { session: SessionState | null; events: SessionEvent[] };
  expected: SessionState | null;
}

function counterIds(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

describe('rollSession', () => {
  it.each(cases as SessionCase[])('$name', ({ input, expected }) => {
    const before = structuredClone(input);
    const newId = counterIds();
    let session = input.session;
    for (const event of input.events) session = rollSession(session, event, newId);
    expect(session).toEqual(expected);
    expect(input).toEqual(before);
  });
});
