/** Which profile a group of events is applied to: found, created, or refused. */
import { newProfileState } from '../../engine/index.js';
import type { CanonicalEvent, Identifier, ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import {
  attach,
  hasIdentifier,
  type IngestContext,
  loadProfile,
  type ProfileClaims,
  reachableBy,
  startWork,
  type Work,
} from './ingest-work.js';
import type { ProfileRef } from './profile-ref.js';
import type { ProfileRepository } from './profile-repository.js';
import type { StoredProfile } from './profile-store.js';

/**
 * Where a group of events goes: an explicit reference, or the identifiers the events carry.
 * `screened`: its batch was just screened for opted-out people as a whole (a group addressed to a
 * profile id is screened again: it is erased when one of its events names an opted-out user).
 * `seen`: the messageIds already applied, looked up once for a whole batch, or assumed none for
 * one profile's request (the write finds a replay: see NONE_SEEN). A first attempt trusts it; a
 * retry looks again.
 */
export type Anchor = (
  | ({ ref: ProfileRef } & Pick<ProfileClaims, 'customId' | 'alongside'>)
  | { event: CanonicalEvent }
) & {
  screened?: boolean;
  seen?: ReadonlySet<string>;
  /** A retry after a conflict: the profile is read, never taken from the cache untried. */
  retry?: boolean;
  /**
   * The holders of the batch's anchoring identifiers (`type:value`), looked up once for the
   * whole batch: what the first attempt of a group no other group touches resolves with.
   */
  holders?: ReadonlyMap<string, StoredProfile & { id: string }>;
};

/**
 * An identifier held by a profile the public caller cannot reach: it may not be used, and a new
 * profile cannot take it (it is unique), so the events are refused.
 */
function unreachableIsConflict(ctx: IngestContext, state: ProfileState): ProfileState {
  if (reachableBy(ctx, state)) return state;
  throw new AppError(
    'identity_conflict',
    'That identifier belongs to a profile this key cannot reach.',
  );
}

/**
 * Attaches a customId the caller asserts for the profile (see `ProfileClaims` in ingest-work.ts).
 */
export async function claimCustomId(
  repo: ProfileRepository,
  ctx: IngestContext,
  work: Work,
  value: string,
): Promise<void> {
  const claim = { type: 'customId' as const, value };
  if (hasIdentifier(work.state, claim)) return;
  if (work.state.identifiers.some((i) => i.type === 'customId')) {
    throw new AppError('identity_conflict', 'The profile already has another customId.');
  }
  const owner = (await repo.identities.findOwners(ctx.environmentId, [claim])).get(
    `customId:${value}`,
  );
  // (A claim racing another one for the same value loses at the unique index and retries.)
  if (owner !== undefined && owner !== work.state.id) {
    throw new AppError('identity_conflict', 'That customId belongs to another profile.');
  }
  attach(work, claim);
}

function newProfile(ctx: IngestContext, claims: Identifier[]): Work {
  const created = newProfileState(newId(), ctx.environmentId, Date.now(), ctx.source);
  const state = ctx.publicKeyId ? { ...created, publicKeyId: ctx.publicKeyId } : created;
  const work = startWork(state, null);
  for (const identifier of claims) attach(work, identifier);
  return work;
}

/** The profile a group names, when it exists (nothing to apply: nothing may be created). */
export async function findExisting(
  repo: ProfileRepository,
  ctx: IngestContext,
  anchor: Anchor,
): Promise<ProfileState | null> {
  if ('ref' in anchor && anchor.ref.kind === 'id') {
    const liveId = await repo.profiles.findLiveId(ctx.environmentId, anchor.ref.id);
    return (liveId && (await loadProfile(repo, null, ctx.environmentId, liveId))?.state) || null;
  }
  const work = await resolveTarget(repo, ctx, anchor);
  return work.version === null ? null : work.state;
}

/** A profile read by identifier, unless it was merged away (its identifiers moved with it). */
function live(stored: StoredProfile | undefined): StoredProfile | undefined {
  return stored && stored.mergedInto === null ? stored : undefined;
}

/**
 * The live profile an id names: in one read when it was never merged (the usual case: the
 * personalize path names a profile by id on every request), else through its survivor.
 */
async function loadLive(repo: ProfileRepository, environmentId: string, id: string) {
  const stored = await repo.profiles.findById(environmentId, id);
  if (!stored) return undefined;
  if (stored.mergedInto === null) return { state: stored.state, version: stored.version };
  const liveId = await repo.profiles.findLiveId(environmentId, stored.mergedInto);
  return liveId ? loadProfile(repo, null, environmentId, liveId) : undefined;
}

function hasOtherUserId(state: ProfileState, userId: string): boolean {
  return state.identifiers.some((i) => i.type === 'userId' && i.value !== userId);
}

/** What an event's profile is looked up by, in order: its userId, then its anonymousId. */
export function anchorIdentifiers(event: CanonicalEvent): Identifier[] {
  const identifiers: Identifier[] = [];
  if (event.userId) identifiers.push({ type: 'userId', value: event.userId });
  if (event.anonymousId) identifiers.push({ type: 'anonymousId', value: event.anonymousId });
  return identifiers;
}

/** Finds (or starts) the profile a group of events belongs to. */
export async function resolveTarget(
  repo: ProfileRepository,
  ctx: IngestContext,
  anchor: Anchor,
): Promise<Work> {
  const env = ctx.environmentId;
  if ('ref' in anchor) {
    const ref = anchor.ref;
    if (ref.kind === 'id') {
      // The usual request of the personalize path: a profile this process wrote last. No read:
      // the write's version check proves the document current, or the attempt is retried.
      const kept = anchor.retry ? undefined : repo.profiles.trusted(env, ref.id);
      if (kept && reachableBy(ctx, kept.state)) return startWork(kept.state, kept.version);
      const found = await loadLive(repo, env, ref.id);
      if (!found || !reachableBy(ctx, found.state)) throw new AppError('profile_not_found');
      return startWork(found.state, found.version);
    }
    const holders = await repo.profiles.findByIdentifier(env, ref.type, ref.value);
    if (holders.length > 1) {
      throw new AppError(
        'identity_conflict',
        `Several profiles share this ${ref.type}; address one by id.`,
      );
    }
    const found = live(holders[0]);
    if (found) return startWork(unreachableIsConflict(ctx, found.state), found.version);
    return newProfile(ctx, [{ type: ref.type, value: ref.value }]);
  }
  // Known before anonymous: an event with a userId belongs to that user's profile.
  const holders = anchor.retry ? undefined : anchor.holders;
  const { userId } = anchor.event;
  for (const identifier of anchorIdentifiers(anchor.event)) {
    const [holder] = holders
      ? [holders.get(`${identifier.type}:${identifier.value}`)]
      : await repo.profiles.findByIdentifier(env, identifier.type, identifier.value);
    const found = live(holder);
    // A device shared with another known user is not this user's profile: it stays with its
    // owner (the identity step's rule), and a user seen first on it gets a profile of their own.
    if (found && userId && hasOtherUserId(found.state, userId)) continue;
    if (found) return startWork(unreachableIsConflict(ctx, found.state), found.version);
  }
  // The identity step of the first event claims its identifiers for the new profile.
  return newProfile(ctx, []);
}
