import { describe, expect, it } from 'vitest';
import type { CanonicalEvent } from '../../engine/types.js';
import { chainIndependent, groupByProfile } from './batch-groups.js';

const event = (fields: Partial<CanonicalEvent>): CanonicalEvent =>
  ({ type: 'track', messageId: 'm', ...fields }) as CanonicalEvent;

const keysOf = (chains: ReturnType<typeof chainIndependent>) =>
  chains.map((chain) => chain.map((group) => group.key));

describe('batch groups', () => {
  it('groups by profile id, else userId, else anonymousId, in order of first appearance', () => {
    const groups = groupByProfile(
      [
        event({ anonymousId: 'a1' }),
        event({ userId: 'u1', anonymousId: 'a2' }),
        event({ profileId: 'p1', userId: 'u1' }),
        event({ anonymousId: 'a1' }),
        event({ userId: 'u2' }),
      ],
      new Set([4]),
    );
    expect(groups.map((g) => [g.key, g.indexes])).toEqual([
      ['anonymousId:a1', [0, 3]],
      ['userId:u1', [1]],
      ['id:p1', [2]],
    ]);
  });

  it('chains groups that mention a common identifier, in batch order, and keeps the rest apart', () => {
    const groups = groupByProfile(
      [
        event({ anonymousId: 'a1' }),
        event({ anonymousId: 'a2' }),
        event({ userId: 'u3' }),
        event({ userId: 'u1', anonymousId: 'a1' }), // identify: ties a1 to u1
        event({ type: 'alias', userId: 'u4', previousId: 'a2' }), // alias: ties a2 to u4
        event({ profileId: 'p1', userId: 'u1' }),
        event({ anonymousId: 'a5' }),
      ],
      new Set(),
    );
    expect(keysOf(chainIndependent(groups))).toEqual([
      ['anonymousId:a1', 'userId:u1', 'id:p1'],
      ['anonymousId:a2', 'userId:u4'],
      ['userId:u3'],
      ['anonymousId:a5'],
    ]);
  });

  it('joins two chains that a later event links', () => {
    const groups = groupByProfile(
      [
        event({ anonymousId: 'a1' }),
        event({ anonymousId: 'a2' }),
        event({ userId: 'u1', anonymousId: 'a1' }),
        event({ userId: 'u2', anonymousId: 'a2' }),
        event({ type: 'alias', userId: 'u1', previousId: 'u2' }),
      ],
      new Set(),
    );
    expect(keysOf(chainIndependent(groups))).toEqual([
      ['anonymousId:a1', 'anonymousId:a2', 'userId:u1', 'userId:u2'],
    ]);
  });
});
