import type { CanonicalEvent, Identifier } from '../../engine/types.js';
import type { SuppressionList } from '../privacy/suppression-list.js';
import type { ProfileRef } from './profile-ref.js';

export interface SuppressionOutcome {
  /** Events to apply. */
  kept: CanonicalEvent[];
  /** Indexes (into the events given) of those acknowledged and dropped. */
  droppedIndexes: number[];
  /** How many were acknowledged and dropped. */
  dropped: number;
  /**
   * Anonymous ids just identified as an opted-out user: their data must be erased and the ids
   * suppressed too (the person behind them opted out).
   */
  purge: Identifier[];
  /**
   * The profile a group was addressed to when one of its events identifies it as an opted-out
   * user (the Experience API's and MyPreferences' calls name a profile, not the event): it is
   * that person's, so it is erased as the anonymous ids are.
   */
  purgeRef?: ProfileRef;
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
 * well, with every event for it in these events: what was collected under it is the opted-out
 * person's data. Callers screen a whole request's events at once (not group by group), so that
 * a page view sent before the identify in the same batch is never stored. Events addressed to
 * one profile (`ref`) are all dropped when any of them names an opted-out user.
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
  const none = { kept: events, droppedIndexes: [], dropped: 0, purge: [] };
  if (suppressed.size === 0) return none;
  const all = events.map((_, i) => i);
  if (ref?.kind === 'identifier' && suppressed.has(`${ref.type}:${ref.value}`)) {
    return { kept: [], droppedIndexes: all, dropped: events.length, purge: [] };
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
  const isCondemned = (event: CanonicalEvent) => idsOf(event).some((i) => condemned.has(keyOf(i)));
  if (ref && events.some(isCondemned)) {
    return {
      kept: [],
      droppedIndexes: all,
      dropped: events.length,
      purge: [...purge.values()],
      purgeRef: ref,
    };
  }
  const droppedIndexes = all.filter((i) => isCondemned(events[i]!));
  if (droppedIndexes.length === 0) return none;
  const dropped = new Set(droppedIndexes);
  return {
    kept: events.filter((_, i) => !dropped.has(i)),
    droppedIndexes,
    dropped: droppedIndexes.length,
    purge: [...purge.values()],
  };
}
