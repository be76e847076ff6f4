import type { Transaction } from 'kysely';
import type { Database } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';
import { DedupeStore } from '../events/dedupe-store.js';
import { EventStore } from '../events/event-store.js';
import type { SuppressionList } from '../privacy/suppression-list.js';
import type { FoldExtension } from './fold-extension.js';
import { IdentityStore } from './identity-store.js';
import { MergeStore } from './merge-store.js';
import { ProfileStore } from './profile-store.js';
import { ProfileWriteSlots } from './profile-write-slot.js';

/** The stores and the write slots that the profile services share (built once per app). */
export class ProfileRepository {
  readonly profiles: ProfileStore;
  readonly identities: IdentityStore;
  readonly merges: MergeStore;
  readonly events: EventStore;
  readonly dedupe: DedupeStore;
  readonly slots: ProfileWriteSlots;

  constructor(
    readonly storage: Storage,
    maxWaitingPerProfile: number,
    /** Opted-out identifiers, whose events are acknowledged and dropped. */
    readonly suppressions: SuppressionList | null = null,
    /** What other modules add to the fold (audience counters and memberships). */
    readonly fold: FoldExtension | null = null,
  ) {
    this.profiles = new ProfileStore(storage.db);
    this.identities = new IdentityStore(storage.db);
    this.merges = new MergeStore(storage.db);
    this.events = new EventStore(storage.db);
    this.dedupe = new DedupeStore(storage.db);
    this.slots = new ProfileWriteSlots(maxWaitingPerProfile);
  }

  /**
   * Erases profiles (a survivor and everything merged into it) inside the caller's transaction:
   * documents, identifiers, events and merge log. Remembered messageIds stay, so replays of
   * erased events are not applied again.
   */
  async erase(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    await this.events.deleteByProfiles(trx, profileIds);
    await this.identities.deleteByProfiles(trx, profileIds);
    await this.merges.deleteByProfiles(trx, profileIds);
    await this.profiles.deleteByIds(trx, profileIds);
    await this.fold?.erase(trx, profileIds);
  }
}
