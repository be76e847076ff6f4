/**
 * Identity decisions: given the profile an event is applied to and who currently owns the
 * event's unique identifiers, decide whether to attach them, merge two profiles, or refuse.
 *
 * Principles (DESIGN.md "Identity"): an external id (userId) is proof of identity, an anonymousId
 * is only a device (devices are shared), two profiles with different userIds are never merged,
 * a profile's userId never changes silently, and at most one merge happens per decision so every
 * merge can be recorded and undone on its own. A customId (the profile management API's unique
 * key) is held to the same rule: resolution never merges two profiles with different ones (only
 * a merge on request does).
 */
import { getOwn } from './json-value.js';
import type {
  CanonicalEvent,
  Identifier,
  IdentifierType,
  IdentityDecision,
  IdentityInput,
  ProfileSummary,
} from './types.js';

/** Reason given when a userId would replace or join a different one. */
export const DIFFERENT_USER_REASON = 'profile already identified as a different user';
/** Reason given when an alias links two profiles of different users. */
export const ALIAS_DIFFERENT_USER_REASON = 'previousId belongs to a different user than userId';
/** Reason given when an alias's previousId resolves to two profiles. */
export const ALIAS_AMBIGUOUS_REASON = 'previousId is owned by two different profiles';
/** Reason given when a merge would join two profiles of different customIds. */
export const DIFFERENT_CUSTOM_ID_REASON = 'the two profiles have different customIds';

const NONE: IdentityDecision = { kind: 'none' };

/** Key of the `owners` map of {@link IdentityInput}: `"userId:u-42"`. */
export function ownerKey(type: IdentifierType, value: string): string {
  return `${type}:${value}`;
}

/**
 * The unique identifiers an event claims: its anonymousId and userId. An alias's previousId is
 * not a claim — it names a profile to link from, never an id to attach to someone.
 */
export function identifiersOf(event: Pick<CanonicalEvent, 'anonymousId' | 'userId'>): Identifier[] {
  const ids: Identifier[] = [];
  if (event.anonymousId !== undefined) ids.push({ type: 'anonymousId', value: event.anonymousId });
  if (event.userId !== undefined) ids.push({ type: 'userId', value: event.userId });
  return ids;
}

type OwnerOf = (type: IdentifierType, value: string | undefined) => ProfileSummary | undefined;

function conflict(reason: string): IdentityDecision {
  return { kind: 'conflict', reason };
}

/** True when both profiles have a customId and they differ: they are never merged here. */
function differentCustomIds(a: ProfileSummary, b: ProfileSummary): boolean {
  return a.customId !== undefined && b.customId !== undefined && a.customId !== b.customId;
}

/** The profile created first survives a merge of equals (tie: smaller id, for determinism). */
function olderFirst(a: ProfileSummary, b: ProfileSummary): [ProfileSummary, ProfileSummary] {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? [a, b] : [b, a];
  return a.id <= b.id ? [a, b] : [b, a];
}

/** The event's anonymousId when nobody owns it yet (it then goes wherever the event goes). */
function unownedAnonymous(input: IdentityInput, ownerOf: OwnerOf): Identifier[] {
  const value = input.event.anonymousId;
  if (value === undefined || ownerOf('anonymousId', value)) return [];
  return [{ type: 'anonymousId', value }];
}

/**
 * alias(previousId → userId): the previousId's owner and the userId are the same person.
 * Returns undefined when the alias needs nothing beyond the ordinary claim rules (previousId
 * owned by nobody, or by the userId's owner, or by the target itself).
 */
function decideAlias(input: IdentityInput, ownerOf: OwnerOf): IdentityDecision | undefined {
  const { target, event } = input;
  const previousId = event.previousId;
  const userId = event.userId;
  if (previousId === undefined || userId === undefined) return undefined;
  const byAnonymous = ownerOf('anonymousId', previousId);
  const byUser = ownerOf('userId', previousId);
  if (byAnonymous && byUser && byAnonymous.id !== byUser.id)
    return conflict(ALIAS_AMBIGUOUS_REASON);
  const previous = byUser ?? byAnonymous;
  if (!previous) return undefined;
  const userOwner = ownerOf('userId', userId);
  if (userOwner?.id === previous.id) return undefined;
  if (previous.userId !== undefined && previous.userId !== userId) {
    return conflict(ALIAS_DIFFERENT_USER_REASON);
  }
  const anonymous = unownedAnonymous(input, ownerOf);
  if (userOwner) {
    if (differentCustomIds(userOwner, previous)) return conflict(DIFFERENT_CUSTOM_ID_REASON);
    // The userId's owner is the known profile: it survives, whichever profile was the target.
    return {
      kind: 'merge',
      survivorId: userOwner.id,
      mergedId: previous.id,
      identifiers: anonymous,
    };
  }
  // Nobody owns the userId yet: it goes onto the previousId's owner.
  if (target?.id === previous.id) return undefined;
  const identifiers: Identifier[] = [{ type: 'userId', value: userId }, ...anonymous];
  if (target !== null && target.userId === undefined) {
    if (differentCustomIds(previous, target)) return conflict(DIFFERENT_CUSTOM_ID_REASON);
    // The device sending the alias is the same person too; its anonymous profile joins.
    return { kind: 'merge', survivorId: previous.id, mergedId: target.id, identifiers };
  }
  return { kind: 'attach', identifiers, profileId: previous.id };
}

/** The ordinary rules for the anonymousId and userId an event claims. */
function decideClaims(input: IdentityInput, ownerOf: OwnerOf): IdentityDecision {
  const { target, event } = input;
  const userId = event.userId;
  const anonymousId = event.anonymousId;
  const userOwner = ownerOf('userId', userId);
  const anonymousOwner = ownerOf('anonymousId', anonymousId);
  if (target === null) {
    // An owned claim would have been resolved as the target; without one there is nobody to
    // attach to, and a new profile must not be created next to the owner.
    if (userOwner || anonymousOwner) return NONE;
    const identifiers = identifiersOf(event);
    return identifiers.length > 0 ? { kind: 'attach', identifiers } : NONE;
  }

  const identifiers: Identifier[] = [];
  let merge: { survivorId: string; mergedId: string } | undefined;
  let targetUserId = target.userId;

  if (userId !== undefined) {
    if (userOwner && userOwner.id !== target.id) {
      if (target.userId !== undefined && target.userId !== userId) {
        return conflict(DIFFERENT_USER_REASON);
      }
      if (differentCustomIds(userOwner, target)) return conflict(DIFFERENT_CUSTOM_ID_REASON);
      // identify with a known user's id: the anonymous target joins the known profile.
      merge = { survivorId: userOwner.id, mergedId: target.id };
    } else if (!userOwner) {
      if (target.userId !== undefined && target.userId !== userId) {
        return conflict(DIFFERENT_USER_REASON);
      }
      if (target.userId === undefined) {
        identifiers.push({ type: 'userId', value: userId });
        targetUserId = userId;
      }
    }
  }

  if (anonymousId !== undefined) {
    if (!anonymousOwner) {
      identifiers.push({ type: 'anonymousId', value: anonymousId });
    } else if (
      anonymousOwner.id !== target.id &&
      merge === undefined &&
      !differentCustomIds(anonymousOwner, target)
    ) {
      // (When a userId merge is already decided, no second merge is done: an anonymousId owned
      // by a third profile stays with it, and a later event can still join them.)
      if (anonymousOwner.userId === undefined && targetUserId !== undefined) {
        merge = { survivorId: target.id, mergedId: anonymousOwner.id };
      } else if (anonymousOwner.userId === targetUserId) {
        // Both anonymous (or, inconsistently, the same user): the older profile survives.
        const [older, newer] = olderFirst(target, anonymousOwner);
        merge = { survivorId: older.id, mergedId: newer.id };
      }
      // Otherwise the device is shared with another known user: it stays with its owner (as it
      // does with another customId's profile, above).
    }
  }

  if (merge) return { kind: 'merge', ...merge, identifiers };
  return identifiers.length > 0 ? { kind: 'attach', identifiers } : NONE;
}

/**
 * Decides what an event does to identity. The caller has resolved `target` (explicit profile
 * reference, else the userId's owner, else the anonymousId's owner, else null) and looked up the
 * owners of the event's anonymousId and userId (and, for alias, of the previousId as both an
 * anonymousId and a userId).
 *
 * Identifiers listed in an attach/merge decision are the still-unowned claims to add to the
 * survivor; the merged profile's own identifiers move with the merge and are not listed.
 */
export function decideIdentity(input: IdentityInput): IdentityDecision {
  const ownerOf: OwnerOf = (type, value) =>
    value === undefined ? undefined : getOwn(input.owners, ownerKey(type, value));
  if (input.event.type === 'alias') {
    const decision = decideAlias(input, ownerOf);
    if (decision) return decision;
  }
  return decideClaims(input, ownerOf);
}
