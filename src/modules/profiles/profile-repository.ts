import type { Storage } from '../../storage/storage.js';
import { DedupeStore } from '../events/dedupe-store.js';
import { EventStore } from '../events/event-store.js';
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
  ) {
    this.profiles = new ProfileStore(storage.db);
    this.identities = new IdentityStore(storage.db);
    this.merges = new MergeStore(storage.db);
    this.events = new EventStore(storage.db);
    this.dedupe = new DedupeStore(storage.db);
    this.slots = new ProfileWriteSlots(maxWaitingPerProfile);
  }
}
