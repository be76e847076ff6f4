import { AppError } from '../../errors/app-error.js';
import type { ProfileRepository } from '../profiles/profile-repository.js';

/**
 * Runs a write for one profile while no other write or deletion of that profile runs, and only
 * if it still exists (see {@link profileWriteGuard}).
 */
export type ProfileWriteGuard = <T>(
  environmentId: string,
  profileId: string,
  write: () => Promise<T>,
) => Promise<T>;

/** The profiles module's write slot plus an existence check, as a {@link ProfileWriteGuard}. */
export function profileWriteGuard(repo: ProfileRepository): ProfileWriteGuard {
  // The slot key deletion takes too (ProfileQueryService.deleteProfile), so a consent written
  // while its profile is being deleted either lands before the erasure or finds no profile.
  return (environmentId, profileId, write) =>
    repo.slots.run(`${environmentId}/id:${profileId}`, async () => {
      if (!(await repo.profiles.findLiveId(environmentId, profileId))) {
        throw new AppError('profile_not_found');
      }
      return write();
    });
}
