import { unmergeTraits } from '../../engine/index.js';
import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
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
  ) {}

  /** Every merge this profile took part in (as survivor, or of profiles merged into it). */
  async listMerges(environmentId: string, ref: ProfileRef): Promise<MergeRecord[]> {
    const profile = await this.queries.getProfile(environmentId, ref);
    return this.repo.merges.findByProfiles(environmentId, [profile.id, ...profile.mergedIds]);
  }

  /**
   * Undoes a merge into the referenced profile: the merged profile comes back as it was before
   * the merge (identifiers, traits and events), and the survivor gives back the traits only the
   * merged side had set, unless they were overwritten since.
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
    return this.repo.slots.run(`${environmentId}/id:${current.id}`, async () => {
      for (let attempt = 0; attempt < 5; attempt++) {
        try {
          return await this.attemptUnmerge(environmentId, record);
        } catch (error) {
          if (!(error instanceof WriteConflict)) throw error;
        }
      }
      throw new AppError('profile_overloaded');
    });
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
    const restoredSurvivor = unmergeTraits(
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
