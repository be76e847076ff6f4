import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import { isTransientConflict } from '../../storage/errors.js';
import { runRows } from '../../storage/row-writes.js';
import { audienceChanges } from '../webhooks/profile-changes.js';
import { loadProfile } from './ingest-work.js';
import type { ProfileRepository } from './profile-repository.js';
import { WriteConflict } from './write-conflict.js';

const MAX_ATTEMPTS = 5;

/**
 * Re-runs the fold extension's membership step for one profile without events, after a change
 * the fold does not see (a consent, a merge on request, an undone merge): the stored memberships,
 * the entry/exit log and the audience webhooks then follow the change at once instead of at the
 * profile's next event.
 */
export class MembershipRefresh {
  constructor(private readonly repo: ProfileRepository) {}

  /**
   * Writes the profile only when the fold changed it; answers its document as it then is
   * (undefined: gone meanwhile, skipped).
   */
  async refresh(environmentId: string, profileId: string): Promise<ProfileState | undefined> {
    const fold = await this.repo.fold?.forEnvironment(environmentId);
    const sink = await this.repo.changes?.forEnvironment(environmentId);
    return this.repo.slots.run(`${environmentId}/id:${profileId}`, async () => {
      for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
        const liveId = await this.repo.profiles.findLiveId(environmentId, profileId);
        const found = liveId && (await loadProfile(this.repo, null, environmentId, liveId));
        if (!found) return undefined;
        if (!fold) return found.state;
        const after = await fold.afterEvents(found.state);
        // Entries/exits to log, or a document change (sticky variants dropped without consent).
        const changed =
          after.rows !== undefined || JSON.stringify(after.state) !== JSON.stringify(found.state);
        if (!changed) return found.state;
        try {
          // The version check keeps a concurrent ingest's document from being overwritten.
          const { write } = this.repo.profiles.rows(after.state, found.version);
          const rows = after.rows ? [write, after.rows] : [write];
          const changes = audienceChanges(found.state, after.state);
          if (sink && changes.length > 0) {
            await this.repo.storage.write(async (trx) => {
              await runRows(trx, rows);
              await sink.write(trx, changes);
            });
          } else {
            await this.repo.storage.writeRows(rows);
          }
          return after.state;
        } catch (error) {
          if (!(error instanceof WriteConflict) && !isTransientConflict(error)) throw error;
        }
      }
      throw new AppError('profile_overloaded');
    });
  }
}
