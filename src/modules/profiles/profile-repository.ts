import type { Transaction } from 'kysely';
import { runRows } from '../../storage/row-writes.js';
import type { Database } from '../../storage/schema.js';
import type { Storage } from '../../storage/storage.js';
import { DedupeStore } from '../events/dedupe-store.js';
import { EventStore } from '../events/event-store.js';
import type { SuppressionList } from '../privacy/suppression-list.js';
import type { ChangeRecorder } from '../webhooks/change-types.js';
import type { FoldExtension } from './fold-extension.js';
import { IdentityStore } from './identity-store.js';
import { MergeStore } from './merge-store.js';
import { ProfileCache } from './profile-cache.js';
import { ProfileStore } from './profile-store.js';
import { ProfileWriteSlots } from './profile-write-slot.js';

/**
 * Personal data another module keeps per profile outside the fold (consents and preferences):
 * erased, counted and exported with the profile, in FoldExtension's shapes.
 */
export type PersonalDataStore = Pick<
  FoldExtension,
  'erase' | 'countPersonalData' | 'exportPersonalData'
>;

/** The stores and the write slots that the profile services share (built once per app). */
export class ProfileRepository {
  readonly profiles: ProfileStore;
  readonly identities: IdentityStore;
  readonly merges: MergeStore;
  readonly events: EventStore;
  readonly dedupe: DedupeStore;
  readonly slots: ProfileWriteSlots;
  private readonly dataStores: PersonalDataStore[] = [];
  /** Where changes are reported for webhooks (null: nobody listens). */
  changes: ChangeRecorder | null = null;

  constructor(
    readonly storage: Storage,
    maxWaitingPerProfile: number,
    /** Opted-out identifiers, whose events are acknowledged and dropped. */
    readonly suppressions: SuppressionList | null = null,
    /** What other modules add to the fold (audience counters and memberships). */
    readonly fold: FoldExtension | null = null,
    /** Lock the profile rows read (see {@link inTransaction}). */
    lockRows = false,
    /** Documents read and written by this process, shared by the stores bound to transactions. */
    readonly cache = new ProfileCache(undefined, storage.foreignCommits),
    /** False for the stores bound to a transaction still open (see {@link inTransaction}). */
    committed = true,
  ) {
    this.profiles = new ProfileStore(storage.db, cache, lockRows, committed);
    this.identities = new IdentityStore(storage.db);
    this.merges = new MergeStore(storage.db);
    this.events = new EventStore(storage.db);
    this.dedupe = new DedupeStore(storage.db);
    this.slots = new ProfileWriteSlots(maxWaitingPerProfile);
  }

  /**
   * The same stores bound to one open write transaction: reads see what was written earlier in
   * it, `storage.write` runs its job in it at once, and on PostgreSQL the profile rows read stay
   * locked until it commits. Only for PostgreSQL: on SQLite's single connection, a query outside
   * the transaction (suppressions, definitions) would wait for it forever.
   */
  inTransaction(trx: Transaction<Database>): ProfileRepository {
    const bound = new ProfileRepository(
      {
        engine: this.storage.engine,
        db: trx,
        write: (job) => job(trx),
        writeRows: (rows) => runRows(trx, rows),
        close: async () => {},
      },
      1,
      this.suppressions,
      this.fold,
      this.storage.engine === 'postgres',
      this.cache,
      false,
    );
    bound.dataStores.push(...this.dataStores);
    bound.changes = this.changes;
    return bound;
  }

  /** Adds a module's per-profile data to what {@link erase} removes and the checklists count. */
  addPersonalDataStore(store: PersonalDataStore): void {
    this.dataStores.push(store);
  }

  /**
   * Erases profiles (a survivor and everything merged into it) inside the caller's transaction:
   * documents, identifiers, events and merge log. Remembered messageIds stay, so replays of
   * erased events are not applied again.
   */
  async erase(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    // The profile rows first: on PostgreSQL a write to a profile holds its row until it commits
    // (an ingest's checked update, a guarded write's holdRow), so the erasure waits for such a
    // write here, and the statements after it then see (and delete) everything it wrote.
    await this.profiles.deleteByIds(trx, profileIds);
    await this.events.deleteByProfiles(trx, profileIds);
    await this.identities.deleteByProfiles(trx, profileIds);
    await this.merges.deleteByProfiles(trx, profileIds);
    await this.fold?.erase(trx, profileIds);
    for (const store of this.dataStores) await store.erase(trx, profileIds);
  }

  /**
   * True when the profile's row exists (live, or merged away: writes to its id stay visible on
   * the survivor). On PostgreSQL the row is held (FOR SHARE) until `trx` ends, so a deletion
   * waits for the caller's write, and then erases it too: `erase` deletes the profile rows before
   * the other stores' rows.
   */
  async holdRow(trx: Transaction<Database>, environmentId: string, id: string): Promise<boolean> {
    const query = trx
      .selectFrom('profiles')
      .select('id')
      .where('id', '=', id)
      .where('environment_id', '=', environmentId);
    const held = this.storage.engine === 'postgres' ? query.forShare() : query;
    return (await held.executeTakeFirst()) !== undefined;
  }

  /** Rows kept about these profiles in every store, by store (erasure checklists). */
  async countPersonalData(profileIds: string[]): Promise<Record<string, number>> {
    return {
      profiles: await this.profiles.countByIds(profileIds),
      profile_identifiers: await this.identities.countByProfiles(profileIds),
      events: await this.events.countByProfiles(profileIds),
      merges: await this.merges.countByProfiles(profileIds),
      ...(await this.fold?.countPersonalData(profileIds)),
      ...(await this.countInDataStores(profileIds)),
    };
  }

  /** What the fold extension and the personal data stores keep about these profiles. */
  async exportPersonalData(
    environmentId: string,
    profileIds: string[],
  ): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {
      ...(await this.fold?.exportPersonalData(environmentId, profileIds)),
    };
    for (const store of this.dataStores) {
      Object.assign(out, await store.exportPersonalData(environmentId, profileIds));
    }
    return out;
  }

  private async countInDataStores(profileIds: string[]): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const store of this.dataStores) {
      Object.assign(counts, await store.countPersonalData(profileIds));
    }
    return counts;
  }
}
