import type { Transaction } from 'kysely';
import { AppError } from '../../errors/app-error.js';
import { isTransientConflict } from '../../storage/errors.js';
import type { Database } from '../../storage/schema.js';
import type { ProfileRepository } from '../profiles/profile-repository.js';

/**
 * Runs a write for one profile in a transaction that first finds the profile's row, so that it
 * lands before a deletion or erasure of the profile or not at all (see {@link profileWriteGuard}).
 */
export type ProfileWriteGuard = <T>(
  environmentId: string,
  profileId: string,
  write: (trx: Transaction<Database>) => Promise<T>,
) => Promise<T>;

/** Attempts of a guarded write that PostgreSQL ended in a deadlock. */
const GUARD_ATTEMPTS = 3;

/**
 * The profile's write slot, and its row checked in the write's own transaction (held until it
 * commits on PostgreSQL, see ProfileRepository.holdRow): a deletion or erasure, in this process or
 * another, either commits before the check (the write answers `profile_not_found`) or waits for
 * the write and then erases what it wrote too. Checked before the transaction, a consent could be
 * written just after the erasure and outlive it.
 */
export function profileWriteGuard(repo: ProfileRepository): ProfileWriteGuard {
  return (environmentId, profileId, write) =>
    repo.slots.run(`${environmentId}/id:${profileId}`, async () => {
      const attempt = () =>
        repo.storage.write(async (trx) => {
          if (!(await repo.holdRow(trx, environmentId, profileId))) {
            throw new AppError('profile_not_found');
          }
          return write(trx);
        });
      // PostgreSQL may end the held row's wait in a deadlock with a group transaction: once more.
      for (let tries = 1; ; tries++) {
        try {
          return await attempt();
        } catch (error) {
          if (tries >= GUARD_ATTEMPTS || !isTransientConflict(error)) throw error;
        }
      }
    });
}
