import type { CanonicalEvent } from '../../engine/types.js';

/** The events of one batch that name the same profile key, with their indexes in the batch. */
export interface EventGroup {
  key: string;
  indexes: number[];
  events: CanonicalEvent[];
}

/** The key a batch groups events by: the profile id, else the userId, else the anonymousId. */
export function profileKeyOf(event: CanonicalEvent): string {
  return event.profileId
    ? `id:${event.profileId}`
    : event.userId
      ? `userId:${event.userId}`
      : `anonymousId:${event.anonymousId}`;
}

/** Events grouped by profile key, groups in order of first appearance, skipping `dropped`. */
export function groupByProfile(events: CanonicalEvent[], dropped: Set<number>): EventGroup[] {
  const groups = new Map<string, EventGroup>();
  events.forEach((event, index) => {
    if (dropped.has(index)) return;
    const key = profileKeyOf(event);
    let group = groups.get(key);
    if (!group) {
      group = { key, indexes: [], events: [] };
      groups.set(key, group);
    }
    group.indexes.push(index);
    group.events.push(event);
  });
  return [...groups.values()];
}

/** Every identifier key an event mentions: the ones it is grouped by, and an alias's previous id. */
function mentionedKeys(event: CanonicalEvent): string[] {
  const keys: string[] = [];
  if (event.profileId) keys.push(`id:${event.profileId}`);
  if (event.userId) keys.push(`userId:${event.userId}`);
  if (event.anonymousId) keys.push(`anonymousId:${event.anonymousId}`);
  if (event.previousId) keys.push(`userId:${event.previousId}`, `anonymousId:${event.previousId}`);
  return keys;
}

/**
 * Splits groups into chains that can be applied concurrently. Groups whose events mention a
 * common identifier (an identify that ties an anonymous id to a user, an alias) are in one chain,
 * in batch order, so what one of them stores is there when the next resolves its profile. Groups
 * in different chains touch different identifiers; if stored data still ties two of them to one
 * profile, the profile's version check makes the later write retry.
 */
export function chainIndependent(groups: EventGroup[]): EventGroup[][] {
  const parent = new Map<string, string>();
  const root = (key: string): string => {
    let at = key;
    for (let up = parent.get(at); up !== undefined && up !== at; up = parent.get(at)) at = up;
    parent.set(key, at);
    return at;
  };
  for (const group of groups) {
    parent.set(group.key, root(group.key));
    for (const event of group.events) {
      for (const key of mentionedKeys(event)) {
        const a = root(key);
        const b = root(group.key);
        if (a !== b) parent.set(a, b);
      }
    }
  }
  const chains = new Map<string, EventGroup[]>();
  for (const group of groups) {
    const at = root(group.key);
    const chain = chains.get(at);
    if (chain) chain.push(group);
    else chains.set(at, [group]);
  }
  return [...chains.values()];
}
