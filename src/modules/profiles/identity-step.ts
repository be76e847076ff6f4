import { contactIdentifiersOf, decideIdentity, mergeProfileStates } from '../../engine/index.js';
import type { CanonicalEvent, ProfileSummary } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import {
  attach,
  claimsOf,
  hasIdentifier,
  type IngestContext,
  loadProfile,
  summaryOf,
  type Work,
} from './ingest-work.js';
import type { ProfileRepository } from './profile-repository.js';
import { WriteConflict } from './write-conflict.js';

/**
 * The identity step of ingestion: what an event says about who it belongs to (attach its ids,
 * merge two profiles, or refuse), decided by the engine from the current owners of its ids.
 */
export class IdentityStep {
  constructor(private readonly repo: ProfileRepository) {}

  /** Applies what an event says about identity: attach identifiers, merge, or refuse. */
  async apply(ctx: IngestContext, work: Work, event: CanonicalEvent): Promise<void> {
    await this.applyClaims(ctx, work, event);
    // Emails and phones may be shared: attached to whoever the event turned out to be, never merged on.
    for (const contact of contactIdentifiersOf(event)) attach(work, contact);
  }

  private async applyClaims(ctx: IngestContext, work: Work, event: CanonicalEvent): Promise<void> {
    const claims = claimsOf(event);
    // The common case, an event for a profile that already holds its ids, costs no lookup.
    if (claims.every((c) => hasIdentifier(work.state, c))) return;
    const ownerIds = await this.repo.identities.findOwners(ctx.environmentId, claims);
    const owners: Record<string, ProfileSummary> = {};
    for (const [key, profileId] of ownerIds) {
      const owner =
        profileId === work.state.id
          ? work.state
          : (await loadProfile(this.repo, work, ctx.environmentId, profileId))?.state;
      if (owner) owners[key] = summaryOf(owner);
    }
    // Identifiers this attempt attached but has not stored yet are owned by the profile too.
    for (const claim of claims) {
      if (hasIdentifier(work.state, claim))
        owners[`${claim.type}:${claim.value}`] = summaryOf(work.state);
    }
    const decision = decideIdentity({ target: summaryOf(work.state), event, owners });
    switch (decision.kind) {
      case 'none':
        return;
      case 'conflict':
        throw new AppError('identity_conflict', decision.reason);
      case 'attach':
        // An alias may ask to attach a userId to a third profile, not the one being written:
        // that is a request about another person, refused rather than applied half-way.
        if (decision.profileId && decision.profileId !== work.state.id) {
          throw new AppError(
            'identity_conflict',
            'The alias names a profile other than the one addressed.',
          );
        }
        for (const identifier of decision.identifiers) attach(work, identifier);
        return;
      case 'merge':
        if (ctx.publicKeyId && (await this.mergeRefusedForPublicCaller(ctx, work, decision)))
          return;
        await this.merge(ctx, work, event, decision.survivorId, decision.mergedId);
        for (const identifier of decision.identifiers) attach(work, identifier);
    }
  }

  /**
   * Locked public access: a browser caller never merges into an already-identified profile, nor
   * into one its key did not create; only a server credential can. The event still applies to
   * the caller's own profile, without the other profile's identifiers.
   */
  private async mergeRefusedForPublicCaller(
    ctx: IngestContext,
    work: Work,
    decision: { survivorId: string; mergedId: string },
  ): Promise<boolean> {
    const otherId = decision.survivorId === work.state.id ? decision.mergedId : decision.survivorId;
    const other = await loadProfile(this.repo, work, ctx.environmentId, otherId);
    if (!other) return true;
    const identified = other.state.identifiers.some((i) => i.type === 'userId');
    return identified || other.state.publicKeyId !== ctx.publicKeyId;
  }

  /** Merges two profiles inside the current attempt; `work.state` becomes the survivor. */
  private async merge(
    ctx: IngestContext,
    work: Work,
    event: CanonicalEvent,
    survivorId: string,
    mergedId: string,
  ): Promise<void> {
    const current = work.state;
    const otherId = survivorId === current.id ? mergedId : survivorId;
    const other = await loadProfile(this.repo, work, ctx.environmentId, otherId);
    if (!other) throw new WriteConflict(`profile ${otherId} vanished`);

    if (work.version === null && mergedId === current.id) {
      // A profile born in this very request joins an existing one: nothing stored to merge.
      const survivor = mergeProfileStates(other.state, current).state;
      work.state = { ...survivor, mergedIds: other.state.mergedIds };
      work.version = other.version;
      for (const row of work.eventRows) row.profile_id = survivor.id;
      return;
    }
    const survivor = survivorId === current.id ? { state: current, version: work.version } : other;
    const merged = survivorId === current.id ? other : { state: current, version: work.version! };
    const { state, traitsFromMerged } = mergeProfileStates(survivor.state, merged.state);
    // Every identifier the merged profile held moves over, those it took earlier in this request
    // too (they are written under the survivor with the request's new identifiers): an undo
    // gives them all back.
    const moved = merged.state.identifiers;
    work.merges.push({
      record: {
        id: newId(),
        environmentId: ctx.environmentId,
        survivorId: survivor.state.id,
        mergedId: merged.state.id,
        reason: { eventType: event.type, messageId: event.messageId, identifiers: claimsOf(event) },
        survivorBefore: survivor.state,
        mergedBefore: merged.state,
        traitsFromMerged,
        movedIdentifiers: moved,
        createdAt: Date.now(),
        undoneAt: null,
      },
      mergedVersion: merged.version,
    });
    work.state = state;
    work.version = survivor.version;
  }
}
