import type { ProfileState } from '../../engine/types.js';
import { AppError } from '../../errors/app-error.js';
import type { EventQuery, StoredEvent } from '../events/event-store.js';
import { reachableBy } from './ingest-work.js';
import type { ProfileRef } from './profile-ref.js';
import type { ProfileRepository } from './profile-repository.js';

export type EventFilter = Omit<EventQuery, 'environmentId' | 'profileIds'>;

/** Reads of profiles and their timelines, and deletion. */
export class ProfileQueryService {
  constructor(private readonly repo: ProfileRepository) {}

  /**
   * The live profiles a reference names: one for an id or a unique identifier, possibly several
   * for a shared email or phone. An id merged away resolves to its survivor.
   */
  async findProfiles(
    environmentId: string,
    ref: ProfileRef,
    visibleTo?: string,
  ): Promise<ProfileState[]> {
    const { profiles } = this.repo;
    // What this process keeps answers at once when it is still current (see ProfileStore.current).
    const kept =
      ref.kind === 'id'
        ? await profiles.current(environmentId, ref.id)
        : await profiles.currentHolder(environmentId, ref.type, ref.value);
    const found = kept
      ? [kept]
      : ref.kind === 'id'
        ? await this.findLive(environmentId, ref.id)
        : await profiles.findByIdentifier(environmentId, ref.type, ref.value);
    return found
      .filter(
        (stored) =>
          stored.mergedInto === null && reachableBy({ publicKeyId: visibleTo }, stored.state),
      )
      .map((stored) => stored.state);
  }

  /** The profile an id names (one read when it was never merged), or its survivor. */
  private async findLive(environmentId: string, id: string) {
    const { profiles } = this.repo;
    const named = await profiles.findById(environmentId, id);
    if (!named || named.mergedInto === null) return named ? [named] : [];
    const liveId = await profiles.findLiveId(environmentId, named.mergedInto);
    const stored = liveId && (await profiles.findById(environmentId, liveId));
    return stored ? [stored] : [];
  }

  /** Exactly one profile, or `profile_not_found` / `identity_conflict` when shared. */
  async getProfile(
    environmentId: string,
    ref: ProfileRef,
    visibleTo?: string,
  ): Promise<ProfileState> {
    return onlyProfile(await this.findProfiles(environmentId, ref, visibleTo));
  }

  /** Live profiles in id (creation) order, after `afterId`. */
  listProfiles(
    environmentId: string,
    afterId: string | null,
    limit: number,
  ): Promise<ProfileState[]> {
    return this.repo.profiles.list(environmentId, afterId, limit);
  }

  /** A profile's timeline, including the events of the profiles merged into it. */
  async listEvents(
    environmentId: string,
    ref: ProfileRef,
    filter: EventFilter,
  ): Promise<StoredEvent[]> {
    const profile = await this.getProfile(environmentId, ref);
    return this.repo.events.find({
      ...filter,
      environmentId,
      profileIds: [profile.id, ...profile.mergedIds],
    });
  }

  /**
   * Deletes a profile with everything merged into it: documents, identifiers (so its aliases
   * answer 404 from now on), events and merge log. Remembered messageIds stay, so replays of
   * its old events are not applied again.
   */
  async deleteProfile(environmentId: string, ref: ProfileRef, visibleTo?: string): Promise<void> {
    const profile = await this.getProfile(environmentId, ref, visibleTo);
    const ids = [profile.id, ...profile.mergedIds];
    const sink = await this.repo.changes?.forEnvironment(environmentId);
    await this.repo.slots.run(`${environmentId}/id:${profile.id}`, () =>
      this.repo.storage.write(async (trx) => {
        await this.repo.erase(trx, ids);
        // After the erase, which removes the profile's earlier change events.
        await sink?.write(trx, [
          {
            type: 'profile.deleted',
            profileId: profile.id,
            payload: { profileIds: ids, reason: 'deleted' },
          },
        ]);
      }),
    );
  }

  /**
   * True when a profile id that is not in this environment exists in another one. Only the
   * Experience API asks (its ERR_NAMESPACE_MISMATCH); it reveals existence, never content.
   */
  async belongsElsewhere(environmentId: string, id: string): Promise<boolean> {
    const owner = await this.repo.profiles.findEnvironmentOf(id);
    return owner !== undefined && owner !== environmentId;
  }
}

/** The one profile a reference found: 404 when none, 409 when it names several (a shared email). */
export function onlyProfile(profiles: ProfileState[]): ProfileState {
  if (profiles.length === 0) throw new AppError('profile_not_found');
  if (profiles.length > 1) {
    throw new AppError(
      'identity_conflict',
      'Several profiles share this identifier; address one by id.',
    );
  }
  return profiles[0]!;
}
