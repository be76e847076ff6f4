import { describe, expect, it } from 'vitest';
import type { CanonicalEvent, Identifier } from '../../engine/types.js';
import type { SuppressionList } from '../privacy/suppression-list.js';
import { filterSuppressed } from './suppression-filter.js';

const list = (...suppressed: string[]) =>
  ({
    suppressedAmong: async (_env: string, ids: Identifier[]) =>
      new Set(ids.map((i) => `${i.type}:${i.value}`).filter((k) => suppressed.includes(k))),
  }) as unknown as SuppressionList;

const event = (fields: Partial<CanonicalEvent>) => fields as CanonicalEvent;

describe('filterSuppressed', () => {
  it('drops, across a whole batch, the events of an anonymous id a later event ties to an opted-out user', async () => {
    const events = [
      event({ type: 'page', anonymousId: 'a' }),
      event({ type: 'page', anonymousId: 'b' }),
      event({ type: 'identify', anonymousId: 'a', userId: 'gone' }),
    ];
    const out = await filterSuppressed(list('userId:gone'), 'env', events);
    expect(out.droppedIndexes).toEqual([0, 2]);
    expect(out.kept).toEqual([events[1]]);
    expect(out.purge).toEqual([{ type: 'anonymousId', value: 'a' }]);
    expect(out.purgeRef).toBeUndefined();
  });

  it('drops every event addressed to a profile when one of them names an opted-out user, and condemns the profile', async () => {
    const events = [event({ type: 'page' }), event({ type: 'identify', userId: 'gone' })];
    const ref = { kind: 'id', id: 'p1' } as const;
    const out = await filterSuppressed(list('userId:gone'), 'env', events, ref);
    expect(out).toMatchObject({ kept: [], dropped: 2, droppedIndexes: [0, 1], purgeRef: ref });
  });

  it('keeps everything when nobody is suppressed', async () => {
    const events = [event({ type: 'identify', userId: 'here', anonymousId: 'a' })];
    const out = await filterSuppressed(list(), 'env', events, { kind: 'id', id: 'p' });
    expect(out).toEqual({ kept: events, droppedIndexes: [], dropped: 0, purge: [] });
  });
});
