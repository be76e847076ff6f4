import { AppError } from '../../errors/app-error.js';
import { isTransientConflict } from '../../storage/errors.js';
import { loadProfile } from './ingest-work.js';
import type { ProfileRepository } from './profile-repository.js';
import { WriteConflict } from './write-conflict.js';

const MAX_ATTEMPTS = 5;

/**
 * Re-runs the fold extension's membership step for one profile without events, after a change
 * the fold does not see (a consent): the stored memberships and the entry/exit log then follow
 * the change at once instead of at the profile's next event.
 */
export class MembershipRefresh {
  constructor(private readonly repo: ProfileRepository) {}

  /** Writes the profile only when the fold changed it; a profile gone meanwhile is skipped. */
  async refresh(environmentId: string, profileId: string): Promise<void> {
    const fold = await this.repo.fold?.forEnvironment(environmentId);
    if (!fold) return;
    await this.repo.slots.run(`${environmentId}/id:${profileId}`, async () => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const liveId = await this.repo.profiles.findLiveId(environmentId, profileId);
        const found = liveId && (await loadProfile(this.repo, null, environmentId, liveId));
        if (!found) return;
        const after = await fold.afterEvents(found.state);
        // Entries/exits to log, or a document change (sticky variants dropped without consent).
        const changed =
          after.rows !== undefined || JSON.stringify(after.state) !== JSON.stringify(found.state);
        if (!changed) return;
        try {
          // The version check keeps a concurrent ingest's document from being overwritten.
          const { write } = this.repo.profiles.rows(after.state, found.version);
          await this.repo.storage.writeRows(after.rows ? [write, after.rows] : [write]);
          return;
        } catch (error) {
          if (!(error instanceof WriteConflict) && !isTransientConflict(error)) throw error;
        }
      }
      throw new AppError('profile_overloaded');
    });
  }
}
