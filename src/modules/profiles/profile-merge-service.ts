import { mergeProfileStates, unmergeProfileState } from '../../engine/index.js';
import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { newId } from '../../lib/ids.js';
import { loadProfile } from './ingest-work.js';
import { MembershipRefresh } from './membership-refresh.js';
import type { MergeRecord } from './merge-store.js';
import type { ProfileQueryService } from './profile-query-service.js';
import type { ProfileRef } from './profile-ref.js';
import type { ProfileRepository } from './profile-repository.js';
import { WriteConflict } from './write-conflict.js';

export interface UnmergeResult {
  survivor: ProfileState;
  restored: ProfileState;
}

/** The merge log: explaining merges and undoing them. */
export class ProfileMergeService {
  constructor(
    private readonly repo: ProfileRepository,
    private readonly queries: ProfileQueryService,
    /** Brings stored audience memberships up to date after a merge or an undo. */
    private readonly memberships = new MembershipRefresh(repo),
  ) {}

  /** Every merge this profile took part in (as survivor, or of profiles merged into it). */
  async listMerges(environmentId: string, ref: ProfileRef): Promise<MergeRecord[]> {
    const profile = await this.queries.getProfile(environmentId, ref);
    return this.repo.merges.findByProfiles(environmentId, [profile.id, ...profile.mergedIds]);
  }

  /**
   * Merges the profiles `from` names into the one `to` names, on request (an operator's "these
   * are one person"), one logged, undoable merge per source, in order. The rule identity
   * resolution follows holds here too: two profiles with different userIds are never merged.
   * A source that already is the target (or was merged into it) is skipped.
   */
  async mergeProfiles(
    environmentId: string,
    to: ProfileRef,
    from: ProfileRef[],
  ): Promise<{ survivor: ProfileState; merges: MergeRecord[] }> {
    const target = await this.queries.getProfile(environmentId, to);
    const sources: ProfileState[] = [];
    for (const ref of from) sources.push(await this.queries.getProfile(environmentId, ref));
    // Checked over all of them before any merge (two sources may differ from each other while
    // the target has none), and again by each merge against the survivor as it then is.
    refuseDifferentUsers([target, ...sources]);
    const merges = await this.repo.slots.run(`${environmentId}/id:${target.id}`, async () => {
      const done: MergeRecord[] = [];
      for (const source of sources) {
        if (source.id === target.id) continue;
        const record = await this.retried(() =>
          this.attemptMerge(environmentId, target.id, source.id),
        );
        if (record) done.push(record);
      }
      return done;
    });
    // The merged traits may put the survivor in or out of audiences (after the slot: it takes it).
    const survivor =
      (await this.memberships.refresh(environmentId, target.id)) ??
      (await this.queries.getProfile(environmentId, { kind: 'id', id: target.id }));
    return { survivor, merges };
  }

  private async retried<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 0; i < 5; i++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(error instanceof WriteConflict)) throw error;
      }
    }
    throw new AppError('profile_overloaded');
  }

  private async attemptMerge(
    environmentId: string,
    survivorId: string,
    mergedId: string,
  ): Promise<MergeRecord | null> {
    const { profiles, identities, merges, storage } = this.repo;
    const survivor = await loadProfile(this.repo, null, environmentId, survivorId);
    const merged = await loadProfile(this.repo, null, environmentId, mergedId);
    // Merged meanwhile (an earlier source of the same request, or identity resolution).
    if (!merged) return null;
    if (!survivor) throw new AppError('profile_not_found');
    refuseDifferentUsers([survivor.state, merged.state]);
    const { state, traitsFromMerged } = mergeProfileStates(survivor.state, merged.state);
    const now = Date.now();
    const record: MergeRecord = {
      id: newId(),
      environmentId,
      survivorId,
      mergedId,
      reason: { eventType: 'merge-request', messageId: newId(), identifiers: [] },
      survivorBefore: survivor.state,
      mergedBefore: merged.state,
      traitsFromMerged,
      movedIdentifiers: merged.state.identifiers,
      createdAt: now,
      undoneAt: null,
    };
    // Identifiers the survivor already holds (a shared email) are not inserted twice.
    const held = new Set(survivor.state.identifiers.map((i) => `${i.type}:${i.value}`));
    const sink = await this.repo.changes?.forEnvironment(environmentId);
    await storage.write(async (trx) => {
      await profiles.markMerged(trx, mergedId, survivorId, merged.version);
      await identities.remove(trx, environmentId, mergedId, record.movedIdentifiers);
      await identities.insert(
        trx,
        environmentId,
        survivorId,
        record.movedIdentifiers.filter((i) => !held.has(`${i.type}:${i.value}`)),
        now,
      );
      await merges.insert(trx, record);
      await profiles.update(trx, state, survivor.version);
      await sink?.write(trx, [
        {
          type: 'profile.merged',
          profileId: survivorId,
          payload: { mergeId: record.id, survivorId, mergedId, trigger: 'merge-request' },
        },
      ]);
    });
    return record;
  }

  /**
   * Undoes a merge into the referenced profile: the merged profile comes back as it was before
   * the merge (identifiers, traits and events), and the survivor gives back what it took from the
   * merged side and nothing changed since: traits, sticky variants, the event count and the
   * creation time (see unmergeProfileState).
   */
  async unmerge(environmentId: string, ref: ProfileRef, mergeId: string): Promise<UnmergeResult> {
    const current = await this.queries.getProfile(environmentId, ref);
    const record = await this.repo.merges.findById(environmentId, mergeId);
    if (!record) throw new AppError('not_found', 'No such merge.');
    if (record.undoneAt !== null)
      throw new AppError('merge_not_undoable', 'This merge was already undone.');
    if (record.survivorId !== current.id) {
      throw new AppError(
        'merge_not_undoable',
        'The survivor of this merge was itself merged since; undo that merge first.',
      );
    }
    const result = await this.repo.slots.run(`${environmentId}/id:${current.id}`, async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          return await this.attemptUnmerge(environmentId, record);
        } catch (error) {
          if (!(error instanceof WriteConflict)) throw error;
        }
      }
      throw new AppError('profile_overloaded');
    });
    // Both documents changed outside the fold: their memberships follow at once.
    return {
      survivor:
        (await this.memberships.refresh(environmentId, record.survivorId)) ?? result.survivor,
      restored: (await this.memberships.refresh(environmentId, record.mergedId)) ?? result.restored,
    };
  }

  private async attemptUnmerge(environmentId: string, record: MergeRecord): Promise<UnmergeResult> {
    const { profiles, identities, merges, storage } = this.repo;
    const survivor = await profiles.findById(environmentId, record.survivorId);
    const merged = await profiles.findById(environmentId, record.mergedId);
    if (!survivor || !merged || merged.mergedInto !== record.survivorId) {
      throw new AppError(
        'merge_not_undoable',
        'The profiles of this merge no longer exist as merged.',
      );
    }
    const restoredSurvivor = unmergeProfileState(
      survivor.state,
      record.survivorBefore,
      record.mergedBefore,
      record.traitsFromMerged,
    );
    const restored = record.mergedBefore;
    // Identifiers the survivor held itself before the merge (a shared email) stay with it too.
    const survivorHad = new Set(
      record.survivorBefore.identifiers.map((i) => `${i.type}:${i.value}`),
    );
    const giveBack = record.movedIdentifiers.filter(
      (i) => !survivorHad.has(`${i.type}:${i.value}`),
    );
    const now = Date.now();
    const sink = await this.repo.changes?.forEnvironment(environmentId);
    await storage.write(async (trx) => {
      await profiles.update(trx, restoredSurvivor, survivor.version);
      await profiles.update(trx, restored, merged.version);
      await identities.remove(trx, environmentId, record.survivorId, giveBack);
      await identities.insert(trx, environmentId, record.mergedId, record.movedIdentifiers, now);
      await merges.markUndone(trx, record.id, now);
      await sink?.write(trx, [
        {
          type: 'profile.unmerged',
          profileId: record.survivorId,
          payload: {
            mergeId: record.id,
            survivorId: record.survivorId,
            restoredId: record.mergedId,
          },
        },
      ]);
    });
    return { survivor: restoredSurvivor, restored };
  }
}

/** The rule identity resolution follows: profiles of two different userIds are never merged. */
function refuseDifferentUsers(profiles: ProfileState[]): void {
  const userIds = new Set<string>();
  for (const profile of profiles)
    for (const i of profile.identifiers) if (i.type === 'userId') userIds.add(i.value);
  if (userIds.size > 1)
    throw new AppError('identity_conflict', 'Profiles of two different userIds are never merged.');
}
