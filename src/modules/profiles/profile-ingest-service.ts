import {
  applyEvent,
  decideIdentity,
  identifiersOf,
  mergeProfileStates,
  newProfileState,
} from '../../engine/index.js';
import type {
  CanonicalEvent,
  Identifier,
  ProfileState,
  ProfileSummary,
} from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import type { EventsTable } from '../../storage/schema.js';
import type { MergeRecord } from './merge-store.js';
import type { ProfileRef } from './profile-ref.js';
import { refKey } from './profile-ref.js';
import type { ProfileRepository } from './profile-repository.js';
import { WriteConflict } from './write-conflict.js';

const MAX_ATTEMPTS = 5;

export interface IngestContext {
  environmentId: string;
  /** The surface the events came through (`native`, `segment`, …): kept as trait source. */
  source: string;
  /** Compute everything, persist nothing. */
  preflight?: boolean;
}

export interface IngestResult {
  /** The profile after the events (null when nothing was applied to a profile that does not exist). */
  profile: ProfileState | null;
  applied: number;
  duplicates: number;
}

/** Where a group of events goes: an explicit reference, or the identifiers the events carry. */
type Anchor = { ref: ProfileRef } | { event: CanonicalEvent };

/** Mutable state of one attempt at applying a group of events to one profile. */
interface Work {
  state: ProfileState;
  /** null: the profile is new in this attempt. */
  version: number | null;
  newIdentifiers: Identifier[];
  merges: Array<{ record: MergeRecord; mergedVersion: number }>;
  eventRows: EventsTable[];
  /** Profiles loaded during this attempt, by id. */
  loaded: Map<string, { state: ProfileState; version: number }>;
}

function summaryOf(state: ProfileState): ProfileSummary {
  const userId = state.identifiers.find((i) => i.type === 'userId')?.value;
  return userId === undefined
    ? { id: state.id, createdAt: state.metadata.createdAt }
    : { id: state.id, userId, createdAt: state.metadata.createdAt };
}

function hasIdentifier(state: ProfileState, identifier: Identifier): boolean {
  return state.identifiers.some((i) => i.type === identifier.type && i.value === identifier.value);
}

/** The identifiers an event claims, plus (for alias) the previous id under either type. */
function claimsOf(event: CanonicalEvent): Identifier[] {
  const claims = identifiersOf(event);
  if (event.type === 'alias' && event.previousId) {
    claims.push({ type: 'anonymousId', value: event.previousId });
    claims.push({ type: 'userId', value: event.previousId });
  }
  return claims;
}

/**
 * The hot path: applies validated events to profiles. Per group of events for one profile it
 * resolves the identity, takes the profile's write slot, folds the events with the engine and
 * writes the document, identifiers, merges and events in one group-committed transaction.
 */
export class ProfileIngestService {
  constructor(private readonly repo: ProfileRepository) {}

  /** Events addressed to one profile (created when `ref` names an identifier nobody holds). */
  ingestForProfile(
    ctx: IngestContext,
    ref: ProfileRef,
    events: CanonicalEvent[],
  ): Promise<IngestResult> {
    return this.ingestGroup(ctx, { ref }, refKey(ref), events);
  }

  /**
   * Events that each name their profile (`profileId`, `userId` or `anonymousId`). Events for the
   * same key are applied together, in order; groups are applied in order of first appearance.
   */
  async ingestBatch(
    ctx: IngestContext,
    events: CanonicalEvent[],
  ): Promise<Array<{ indexes: number[]; result?: IngestResult; error?: AppError }>> {
    const groups = new Map<string, { indexes: number[]; events: CanonicalEvent[] }>();
    events.forEach((event, index) => {
      const key = event.profileId
        ? `id:${event.profileId}`
        : event.userId
          ? `userId:${event.userId}`
          : `anonymousId:${event.anonymousId}`;
      const group = groups.get(key) ?? { indexes: [], events: [] };
      group.indexes.push(index);
      group.events.push(event);
      groups.set(key, group);
    });
    const outcomes: Array<{ indexes: number[]; result?: IngestResult; error?: AppError }> = [];
    for (const [key, group] of groups) {
      const first = group.events[0]!;
      const anchor: Anchor = first.profileId
        ? { ref: { kind: 'id', id: first.profileId } }
        : { event: first };
      try {
        outcomes.push({
          indexes: group.indexes,
          result: await this.ingestGroup(ctx, anchor, key, group.events),
        });
      } catch (error) {
        if (!(error instanceof AppError) || error.status >= 500) throw error;
        outcomes.push({ indexes: group.indexes, error });
      }
    }
    return outcomes;
  }

  private async ingestGroup(
    ctx: IngestContext,
    anchor: Anchor,
    slotKey: string,
    events: CanonicalEvent[],
  ): Promise<IngestResult> {
    return this.repo.slots.run(`${ctx.environmentId}/${slotKey}`, async () => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        try {
          return await this.attempt(ctx, anchor, events);
        } catch (error) {
          if (!(error instanceof WriteConflict)) throw error;
        }
      }
      throw new AppError('profile_overloaded');
    });
  }

  private async attempt(
    ctx: IngestContext,
    anchor: Anchor,
    events: CanonicalEvent[],
  ): Promise<IngestResult> {
    const fresh = await this.dropDuplicates(ctx.environmentId, events);
    const duplicates = events.length - fresh.length;
    const work = await this.resolveTarget(ctx, anchor);
    if (fresh.length === 0) {
      return { profile: work.version === null ? null : work.state, applied: 0, duplicates };
    }
    for (const event of fresh) {
      await this.applyIdentity(ctx, work, event);
      work.state = applyEvent(work.state, event, { source: ctx.source, newId });
      work.eventRows.push({
        id: newId(),
        environment_id: ctx.environmentId,
        profile_id: work.state.id,
        message_id: event.messageId,
        type: event.type,
        action: event.action,
        timestamp: event.timestamp,
        received_at: event.receivedAt,
        body: JSON.stringify(event),
      });
    }
    if (!ctx.preflight) await this.persist(ctx, work, fresh);
    return { profile: work.state, applied: fresh.length, duplicates };
  }

  /** Drops events whose messageId was already applied, or repeats one earlier in the batch. */
  private async dropDuplicates(
    environmentId: string,
    events: CanonicalEvent[],
  ): Promise<CanonicalEvent[]> {
    const seen = await this.repo.dedupe.findSeen(
      environmentId,
      events.map((e) => e.messageId),
    );
    return events.filter((event) => {
      if (seen.has(event.messageId)) return false;
      seen.add(event.messageId);
      return true;
    });
  }

  private async load(work: Work | null, environmentId: string, id: string) {
    const cached = work?.loaded.get(id);
    if (cached) return cached;
    const stored = await this.repo.profiles.findById(environmentId, id);
    if (!stored || stored.mergedInto !== null) return undefined;
    const entry = { state: stored.state, version: stored.version };
    work?.loaded.set(id, entry);
    return entry;
  }

  private startWork(state: ProfileState, version: number | null): Work {
    const work: Work = {
      state,
      version,
      newIdentifiers: [],
      merges: [],
      eventRows: [],
      loaded: new Map(),
    };
    if (version !== null) work.loaded.set(state.id, { state, version });
    return work;
  }

  private newProfile(ctx: IngestContext, claims: Identifier[]): Work {
    const now = Date.now();
    const state = newProfileState(newId(), ctx.environmentId, now, ctx.source);
    const work = this.startWork(state, null);
    for (const identifier of claims) this.attach(work, identifier);
    return work;
  }

  private attach(work: Work, identifier: Identifier): void {
    if (hasIdentifier(work.state, identifier)) return;
    work.state = { ...work.state, identifiers: [...work.state.identifiers, identifier] };
    work.newIdentifiers.push(identifier);
  }

  /** Finds (or starts) the profile a group of events belongs to. */
  private async resolveTarget(ctx: IngestContext, anchor: Anchor): Promise<Work> {
    const env = ctx.environmentId;
    if ('ref' in anchor) {
      const ref = anchor.ref;
      if (ref.kind === 'id') {
        const liveId = await this.repo.profiles.findLiveId(env, ref.id);
        const found = liveId && (await this.load(null, env, liveId));
        if (!found) throw new AppError('profile_not_found');
        return this.startWork(found.state, found.version);
      }
      const ids = await this.repo.identities.findProfileIds(env, ref.type, ref.value);
      if (ids.length > 1) {
        throw new AppError(
          'identity_conflict',
          `Several profiles share this ${ref.type}; address one by id.`,
        );
      }
      const found = ids[0] && (await this.load(null, env, ids[0]));
      if (found) return this.startWork(found.state, found.version);
      return this.newProfile(ctx, [{ type: ref.type, value: ref.value }]);
    }
    // Known before anonymous: an event with a userId belongs to that user's profile.
    const { userId, anonymousId } = anchor.event;
    for (const identifier of [
      userId ? { type: 'userId' as const, value: userId } : null,
      anonymousId ? { type: 'anonymousId' as const, value: anonymousId } : null,
    ]) {
      if (!identifier) continue;
      const [id] = await this.repo.identities.findProfileIds(
        env,
        identifier.type,
        identifier.value,
      );
      const found = id && (await this.load(null, env, id));
      if (found) return this.startWork(found.state, found.version);
    }
    // The identity step of the first event claims its identifiers for the new profile.
    return this.newProfile(ctx, []);
  }

  /** Applies what an event says about identity: attach identifiers, merge, or refuse. */
  private async applyIdentity(
    ctx: IngestContext,
    work: Work,
    event: CanonicalEvent,
  ): Promise<void> {
    const claims = claimsOf(event);
    // The common case, an event for a profile that already holds its ids, costs no lookup.
    if (claims.every((c) => hasIdentifier(work.state, c))) return;
    const ownerIds = await this.repo.identities.findOwners(ctx.environmentId, claims);
    const owners: Record<string, ProfileSummary> = {};
    for (const [key, profileId] of ownerIds) {
      const owner =
        profileId === work.state.id
          ? work.state
          : (await this.load(work, ctx.environmentId, profileId))?.state;
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
        for (const identifier of decision.identifiers) this.attach(work, identifier);
        return;
      case 'merge':
        await this.merge(ctx, work, event, decision.survivorId, decision.mergedId);
        for (const identifier of decision.identifiers) this.attach(work, identifier);
    }
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
    const other = await this.load(work, ctx.environmentId, otherId);
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
    // Identifiers the merged profile held in storage move over; pending ones are still "new".
    const pending = new Set(work.newIdentifiers.map((i) => `${i.type}:${i.value}`));
    const moved = merged.state.identifiers.filter((i) => !pending.has(`${i.type}:${i.value}`));
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

  private async persist(ctx: IngestContext, work: Work, events: CanonicalEvent[]): Promise<void> {
    const { profiles, identities, merges, events: eventStore, dedupe } = this.repo;
    const now = Date.now();
    await this.repo.storage.write(async (trx) => {
      for (const { record, mergedVersion } of work.merges) {
        await profiles.markMerged(trx, record.mergedId, record.survivorId, mergedVersion);
        await identities.remove(trx, ctx.environmentId, record.mergedId, record.movedIdentifiers);
        await identities.insert(
          trx,
          ctx.environmentId,
          record.survivorId,
          record.movedIdentifiers,
          now,
        );
        await merges.insert(trx, record);
      }
      if (work.version === null) await profiles.insert(trx, work.state);
      else await profiles.update(trx, work.state, work.version);
      await identities.insert(trx, ctx.environmentId, work.state.id, work.newIdentifiers, now);
      await eventStore.insert(trx, work.eventRows);
      await dedupe.insert(
        trx,
        ctx.environmentId,
        events.map((e) => e.messageId),
        now,
      );
    });
  }
}
