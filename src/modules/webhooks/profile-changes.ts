import type { ProfileState } from '../../engine/types.js';
import type { ChangeInput } from './change-types.js';

/** What one ingest attempt changed, as the hot path knows it. */
export interface IngestOutcome {
  created: boolean;
  before: ProfileState;
  after: ProfileState;
  /** Types of the identifiers the profile gained (never their values). */
  newIdentifierTypes: string[];
  eventTypes: string[];
  merges: Array<{
    id: string;
    survivorId: string;
    mergedId: string;
    reason: { eventType: string; identifiers: Array<{ type: string }> };
  }>;
}

/** Trait keys whose value differs (set, changed or removed). */
export function changedTraitKeys(before: ProfileState, after: ProfileState): string[] {
  const keys = new Set([...Object.keys(before.traits), ...Object.keys(after.traits)]);
  return [...keys]
    .filter((k) => JSON.stringify(before.traits[k]) !== JSON.stringify(after.traits[k]))
    .sort();
}

/**
 * The change events of one ingest: created or updated (with the trait keys that changed, never
 * their values), each merge, and each audience entered or exited.
 */
export function ingestChanges(outcome: IngestOutcome): ChangeInput[] {
  const { before, after } = outcome;
  const profileId = after.id;
  const changes: ChangeInput[] = outcome.merges.map((m) => ({
    type: 'profile.merged',
    profileId: m.survivorId,
    // The identifiers that caused the merge are named by type only.
    payload: {
      mergeId: m.id,
      survivorId: m.survivorId,
      mergedId: m.mergedId,
      trigger: m.reason.eventType,
      identifierTypes: [...new Set(m.reason.identifiers.map((i) => i.type))].sort(),
    },
  }));
  changes.push({
    type: outcome.created ? 'profile.created' : 'profile.updated',
    profileId,
    payload: {
      changedTraits: changedTraitKeys(before, after),
      newIdentifierTypes: [...new Set(outcome.newIdentifierTypes)].sort(),
      eventTypes: [...new Set(outcome.eventTypes)].sort(),
    },
  });
  changes.push(...audienceChanges(before, after));
  // Consents on profiles merged into this one count as its own (webhooksRequireConsent).
  return changes.map((c) => ({ ...c, mergedIds: after.mergedIds }));
}

/** Each audience the profile entered or exited between two of its documents. */
export function audienceChanges(before: ProfileState, after: ProfileState): ChangeInput[] {
  const profileId = after.id;
  const changes: ChangeInput[] = [];
  const was = new Set(before.audiences ?? []);
  const is = new Set(after.audiences ?? []);
  for (const audienceId of is) {
    if (!was.has(audienceId))
      changes.push({ type: 'audience.entered', profileId, payload: { audienceId } });
  }
  for (const audienceId of was) {
    if (!is.has(audienceId))
      changes.push({ type: 'audience.exited', profileId, payload: { audienceId } });
  }
  return changes.map((c) => ({ ...c, mergedIds: after.mergedIds }));
}
