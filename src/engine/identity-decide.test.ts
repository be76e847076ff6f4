import { describe, expect, it } from 'vitest';
import cases from './cases/identity-decide.json' with { type: 'json' };
import { decideIdentity, identifiersOf, ownerKey } from './identity-decide.js';
import type { IdentityDecision, IdentityInput } from './types.js';

interface IdentityCase {
  name: string;
  input: IdentityInput;
  expected: IdentityDecision;
}

describe('decideIdentity', () => {
  it.each(cases as IdentityCase[])('$name', ({ input, expected }) => {
    expect(decideIdentity(input)).toEqual(expected);
  });
});

describe('identifiersOf', () => {
  it('lists anonymousId and userId, never an alias previousId', () => {
    expect(identifiersOf({ anonymousId: 'a', userId: 'u' })).toEqual([
      { type: 'anonymousId', value: 'a' },
      { type: 'userId', value: 'u' },
    ]);
    const alias = { type: 'alias', previousId: 'p', userId: 'u' } as const;
    expect(identifiersOf(alias)).toEqual([{ type: 'userId', value: 'u' }]);
    expect(identifiersOf({})).toEqual([]);
  });
});

describe('ownerKey', () => {
  it('joins type and value', () => {
    expect(ownerKey('userId', 'u-42')).toBe('userId:u-42');
  });
});
