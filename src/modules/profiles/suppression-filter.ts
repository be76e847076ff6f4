import type { CanonicalEvent, Identifier } from '../../engine/types.js';
import type { SuppressionList } from '../privacy/suppression-list.js';
import type { ProfileRef } from './profile-ref.js';

export interface SuppressionOutcome {
  /** Events to apply. */
  kept: CanonicalEvent[];
  /** How many were acknowledged and dropped. */
  dropped: number;
  /**
   * Anonymous ids just identified as an opted-out user: their data must be erased and the ids
   * suppressed too (the person behind them opted out).
   */
  purge: Identifier[];
}

function idsOf(event: CanonicalEvent): Identifier[] {
  const ids: Identifier[] = [];
  if (event.userId) ids.push({ type: 'userId', value: event.userId });
  if (event.anonymousId) ids.push({ type: 'anonymousId', value: event.anonymousId });
  if (event.previousId) {
    ids.push(
      { type: 'userId', value: event.previousId },
      { type: 'anonymousId', value: event.previousId },
    );
  }
  return ids;
}

const keyOf = (i: Identifier) => `${i.type}:${i.value}`;

/**
 * Drops the events of opted-out people, whichever dialect they came through. An event that ties
 * an anonymous id to a suppressed user id (an identify, an alias) condemns that anonymous id as
 * well, with every event for it in this batch: what was collected under it before is the opted-out
 * person's data.
 */
export async function filterSuppressed(
  list: SuppressionList,
  environmentId: string,
  events: CanonicalEvent[],
  ref?: ProfileRef,
): Promise<SuppressionOutcome> {
  const claimed = events.flatMap(idsOf);
  if (ref?.kind === 'identifier') claimed.push({ type: ref.type, value: ref.value });
  const suppressed = await list.suppressedAmong(environmentId, claimed);
  if (suppressed.size === 0) return { kept: events, dropped: 0, purge: [] };
  if (ref?.kind === 'identifier' && suppressed.has(`${ref.type}:${ref.value}`)) {
    return { kept: [], dropped: events.length, purge: [] };
  }
  const purge = new Map<string, Identifier>();
  for (const event of events) {
    const ids = idsOf(event);
    if (!ids.some((i) => suppressed.has(keyOf(i)))) continue;
    for (const id of ids) {
      if (id.type === 'anonymousId' && !suppressed.has(keyOf(id))) purge.set(keyOf(id), id);
    }
  }
  const condemned = new Set([...suppressed, ...purge.keys()]);
  const kept = events.filter((event) => !idsOf(event).some((i) => condemned.has(keyOf(i))));
  return { kept, dropped: events.length - kept.length, purge: [...purge.values()] };
}
