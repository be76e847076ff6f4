import { createHash } from 'node:crypto';
import type { Identifier } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { ProfileRepository } from '../profiles/profile-repository.js';
import type { SuppressionList } from './suppression-list.js';

export interface OptOutResult {
  /** True when this call opted the user out; false when they already were. */
  optedOutNow: boolean;
  /** Profiles erased (the user's, and everything merged into it). */
  erasedProfiles: number;
}

/**
 * Opt-out that holds for good (the 000 document): the user's profiles, identifiers, events and
 * merge log are erased in one transaction, and the user id with every identifier those profiles
 * held goes on the suppression list, so nothing for them is ever stored again.
 */
export class PrivacyService {
  constructor(
    private readonly repo: ProfileRepository,
    private readonly suppressions: SuppressionList,
  ) {}

  async optOut(environmentId: string, userId: string, source: string): Promise<OptOutResult> {
    const user: Identifier = { type: 'userId', value: userId };
    const already = (await this.suppressions.suppressedAmong(environmentId, [user])).size > 0;
    const ids = await this.repo.identities.findProfileIds(environmentId, 'userId', userId);
    const trees: string[] = [];
    const identifiers: Identifier[] = [user];
    for (const id of ids) {
      const stored = await this.repo.profiles.findById(environmentId, id);
      if (!stored) continue;
      trees.push(stored.state.id, ...stored.state.mergedIds);
      // Shared identifiers (an email, a phone) may belong to other people too: not suppressed.
      identifiers.push(
        ...stored.state.identifiers.filter((i) => i.type !== 'email' && i.type !== 'phone'),
      );
    }
    const sink = await this.repo.changes?.forEnvironment(environmentId);
    // Taking each profile's write slot keeps a concurrent write from re-creating what is erased.
    const erase = () =>
      this.repo.storage.write(async (trx) => {
        await this.repo.erase(trx, trees);
        await this.suppressions.add(
          trx,
          environmentId,
          identifiers,
          `opt-out:${source}`,
          Date.now(),
        );
        // Written after the erase (which removes the person's change events) and tied to no
        // profile, so it outlives them; the user id travels only as a SHA-256 a receiver who
        // holds it can match.
        if (!already && sink?.wants('profile.opted_out')) {
          await sink.write(trx, [
            {
              type: 'profile.opted_out',
              profileId: null,
              payload: {
                userIdSha256: createHash('sha256').update(userId).digest('hex'),
                erasedProfileIds: trees,
              },
            },
          ]);
        }
      });
    await this.repo.slots.run(`${environmentId}/userId:${userId}`, erase);
    return { optedOutNow: !already, erasedProfiles: trees.length };
  }

  /** Opting back in is not possible: the 000 document's rule. */
  async refuseOptIn(environmentId: string, userId: string): Promise<void> {
    const suppressed = await this.suppressions.suppressedAmong(environmentId, [
      { type: 'userId', value: userId },
    ]);
    if (suppressed.size > 0) {
      throw new AppError('conflict', 'This user opted out; opting back in is not possible.');
    }
  }

  async isOptedOut(environmentId: string, userId: string): Promise<boolean> {
    return (
      (await this.suppressions.suppressedAmong(environmentId, [{ type: 'userId', value: userId }]))
        .size > 0
    );
  }
}
