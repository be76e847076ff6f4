/**
 * Merging two profile states (identity resolution found they are one person) and undoing the
 * trait part of such a merge. A merge must be explainable and reversible (DESIGN.md "Identity"),
 * so it reports which trait values came from the merged side, and the unmerge only gives back
 * what nobody has overwritten since.
 */

import { mergeSignals } from './audience-signals.js';
import { getOwn, jsonEqual, setOwn } from './json-value.js';
import { mergeProfileTraits } from './trait-merge.js';
import type { Identifier, ProfileMetadata, ProfileState, SessionState } from './types.js';

/** Result of {@link mergeProfileStates}. */
export interface ProfileMergeResult {
  state: ProfileState;
  /** Trait keys whose value came from the merged profile: keep it to undo the merge. */
  traitsFromMerged: string[];
}

function identifierKey(id: Identifier): string {
  return `${id.type}:${id.value}`;
}

function unionIdentifiers(a: Identifier[], b: Identifier[]): Identifier[] {
  const seen = new Set<string>();
  const out: Identifier[] = [];
  for (const id of [...a, ...b]) {
    const key = identifierKey(id);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ ...id });
  }
  return out;
}

/** Per key, the smaller (or larger) of the two times. */
function combineTimes(
  a: Record<string, number>,
  b: Record<string, number>,
  pick: (x: number, y: number) => number,
): Record<string, number> {
  const out = { ...a };
  for (const key of Object.keys(b)) {
    const theirs = b[key] as number;
    const ours = getOwn(a, key);
    setOwn(out, key, ours === undefined ? theirs : pick(ours, theirs));
  }
  return out;
}

function mergeMetadata(s: ProfileMetadata, m: ProfileMetadata): ProfileMetadata {
  // createdBy travels with createdAt: it names whoever created the person's first profile.
  const origin = m.createdAt < s.createdAt ? m : s;
  const lastActivity = [s.lastActivityTime, m.lastActivityTime].filter((t) => t !== null);
  return {
    createdAt: origin.createdAt,
    createdBy: origin.createdBy,
    updatedAt: Math.max(s.updatedAt, m.updatedAt),
    firstEvent: combineTimes(s.firstEvent, m.firstEvent, Math.min),
    lastEvent: combineTimes(s.lastEvent, m.lastEvent, Math.max),
    lastActivityTime: lastActivity.length > 0 ? Math.max(...lastActivity) : null,
    eventCount: s.eventCount + m.eventCount,
  };
}

/**
 * The current session is the one seen last; the counters add up because both profiles' sessions
 * happened (possibly overlapping on one device — we can't tell without history).
 */
function mergeSessions(s: SessionState | null, m: SessionState | null): SessionState | null {
  if (s === null || m === null) return s ?? m;
  const current = m.lastEventAt > s.lastEventAt ? m : s;
  const count = s.count + m.count;
  const totalSessionLength = s.totalSessionLength + m.totalSessionLength;
  return {
    ...current,
    landingPage: { ...current.landingPage, query: { ...current.landingPage.query } },
    count,
    isReturningVisitor: count > 1,
    totalSessionLength,
    averageSessionLength: Math.round(totalSessionLength / count),
  };
}

/**
 * Merges `merged` into `survivor` (the survivor keeps its id and environment):
 * traits per key by newer write time (tie: survivor), identifiers united, createdAt/firstEvent
 * earliest, lastEvent/lastActivityTime latest, event counts summed, sessions combined, the
 * survivor's location unless it has none, per experience the earliest sticky variant, and
 * `mergedIds` gaining the merged profile and everything merged into it before.
 */
export function mergeProfileStates(
  survivor: ProfileState,
  merged: ProfileState,
): ProfileMergeResult {
  const traits = mergeProfileTraits(survivor, merged);
  const stickyVariants = { ...survivor.stickyVariants };
  for (const [experienceId, variant] of Object.entries(merged.stickyVariants)) {
    const locked = getOwn(survivor.stickyVariants, experienceId);
    if (locked === undefined || variant.at < locked.at)
      setOwn(stickyVariants, experienceId, variant);
  }
  const useMergedLocation =
    Object.keys(survivor.location).length === 0 && Object.keys(merged.location).length > 0;
  const locationOwner = useMergedLocation ? merged : survivor;
  const mergedIds = [...new Set([...survivor.mergedIds, merged.id, ...merged.mergedIds])].filter(
    (id) => id !== survivor.id,
  );

  const state: ProfileState = {
    ...survivor,
    identifiers: unionIdentifiers(survivor.identifiers, merged.identifiers),
    traits: traits.traits,
    traitMeta: traits.traitMeta,
    metadata: mergeMetadata(survivor.metadata, merged.metadata),
    session: mergeSessions(survivor.session, merged.session),
    location: { ...locationOwner.location },
    stickyVariants,
    mergedIds,
  };
  delete state.locationAt;
  if (locationOwner.locationAt !== undefined) state.locationAt = locationOwner.locationAt;
  if (survivor.signals || merged.signals) {
    // Both people's counted behaviour now belongs to one profile; pruning follows the later one.
    const latest = Math.max(survivor.metadata.updatedAt, merged.metadata.updatedAt);
    state.signals = mergeSignals(survivor.signals ?? {}, merged.signals ?? {}, latest);
  }
  return { state, traitsFromMerged: traits.fromMerged };
}

/**
 * Undoes a merge on the survivor, giving back what nothing has changed since:
 * - traits: for each key in `traitsFromMerged` whose value and write metadata on the survivor are
 *   still exactly the merged profile's, the survivor gets back its own pre-merge value, or loses
 *   the key if it had none;
 * - sticky variants: an experience whose lock is still exactly the merged profile's (the merge
 *   kept the earlier lock) goes back to the survivor's own lock, or to none;
 * - the event count loses the merged profile's events, which go back to its timeline, and the
 *   creation time (with its creator) is the survivor's own again where the merge took the merged
 *   profile's earlier one;
 * - `mergedIds` loses the merged profile (and the profiles merged into it), and `identifiers` the
 *   merged profile's identifiers that the survivor did not have before.
 *
 * Sessions, first and last event times and audience counters are not split back: which part of
 * them each side made is not kept (only the event history could tell).
 */
export function unmergeProfileState(
  survivor: ProfileState,
  survivorBefore: ProfileState,
  merged: ProfileState,
  traitsFromMerged: string[],
): ProfileState {
  const traits = { ...survivor.traits };
  const traitMeta = { ...survivor.traitMeta };
  for (const key of traitsFromMerged) {
    const now = getOwn(survivor.traitMeta, key);
    const given = getOwn(merged.traitMeta, key);
    const metaSame =
      now === given ||
      (now !== undefined &&
        given !== undefined &&
        now.updatedAt === given.updatedAt &&
        now.source === given.source);
    if (!metaSame || !jsonEqual(getOwn(survivor.traits, key), getOwn(merged.traits, key))) {
      continue;
    }
    const before = getOwn(survivorBefore.traits, key);
    const beforeMeta = getOwn(survivorBefore.traitMeta, key);
    if (before === undefined) delete traits[key];
    else setOwn(traits, key, before);
    if (beforeMeta === undefined) delete traitMeta[key];
    else setOwn(traitMeta, key, { ...beforeMeta });
  }

  const hadBefore = new Set(survivorBefore.identifiers.map(identifierKey));
  const givenBack = new Set(
    merged.identifiers.map(identifierKey).filter((key) => !hadBefore.has(key)),
  );
  const idsBefore = new Set(survivorBefore.mergedIds);
  const removedIds = new Set([merged.id, ...merged.mergedIds].filter((id) => !idsBefore.has(id)));
  const restored: ProfileState = {
    ...survivor,
    traits,
    traitMeta,
    stickyVariants: unmergeStickyVariants(survivor, survivorBefore, merged),
    metadata: unmergeMetadata(survivor.metadata, survivorBefore.metadata, merged.metadata),
    identifiers: survivor.identifiers.filter((id) => !givenBack.has(identifierKey(id))),
    mergedIds: survivor.mergedIds.filter((id) => !removedIds.has(id)),
  };
  // The merge lent the survivor the merged profile's location (it had none): given back unless
  // a later event set another (the other device's position is not the survivor's).
  const lentLocation =
    Object.keys(survivorBefore.location).length === 0 &&
    Object.keys(merged.location).length > 0 &&
    survivor.locationAt === merged.locationAt &&
    JSON.stringify(survivor.location) === JSON.stringify(merged.location);
  if (lentLocation) {
    restored.location = { ...survivorBefore.location };
    delete restored.locationAt;
    if (survivorBefore.locationAt !== undefined) restored.locationAt = survivorBefore.locationAt;
  }
  return restored;
}

/** The survivor's locks, with those the merge took from `merged` (and kept since) given back. */
function unmergeStickyVariants(
  survivor: ProfileState,
  survivorBefore: ProfileState,
  merged: ProfileState,
): ProfileState['stickyVariants'] {
  const locks = { ...survivor.stickyVariants };
  for (const [experienceId, given] of Object.entries(merged.stickyVariants)) {
    const now = getOwn(survivor.stickyVariants, experienceId);
    if (now?.variantIndex !== given.variantIndex || now.at !== given.at) continue;
    const own = getOwn(survivorBefore.stickyVariants, experienceId);
    if (own === undefined) delete locks[experienceId];
    else setOwn(locks, experienceId, { ...own });
  }
  return locks;
}

function unmergeMetadata(
  now: ProfileMetadata,
  before: ProfileMetadata,
  merged: ProfileMetadata,
): ProfileMetadata {
  const tookMergedOrigin =
    now.createdAt === merged.createdAt && merged.createdAt < before.createdAt;
  return {
    ...now,
    ...(tookMergedOrigin && { createdAt: before.createdAt, createdBy: before.createdBy }),
    eventCount: Math.max(0, now.eventCount - merged.eventCount),
  };
}
