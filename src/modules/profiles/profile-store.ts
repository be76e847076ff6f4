import type { Kysely, Transaction } from 'kysely';
import {
  type Identifier,
  type IdentifierType,
  type ProfileState,
  UNIQUE_IDENTIFIER_TYPES,
} from '../../engine/types.js';
import { parseStored } from '../../lib/json.js';
import { type RowWrite, runRows } from '../../storage/row-writes.js';
import type { Database } from '../../storage/schema.js';
import { uniqueLookupParameters, uniqueLookupsOf } from './identity-store.js';
import type { CachedProfile, ProfileCache } from './profile-cache.js';
import {
  countProfiles,
  findLiveProfileId,
  findProfileEnvironment,
  listProfiles,
} from './profile-queries.js';
import { type DocumentReads, documentReads, holderKey, type ReadRow } from './profile-reads.js';
import { type DocumentWrites, documentRow, documentWrites } from './profile-rows.js';
import { WriteConflict } from './write-conflict.js';

export interface StoredProfile {
  state: ProfileState;
  version: number;
  mergedInto: string | null;
}

type Db = Kysely<Database> | Transaction<Database>;

/** SQL for profile documents: one row per profile, read and written whole. */
export class ProfileStore {
  /** The queries of every write, compiled once (see Precompiled and profile-reads.ts). */
  private readonly reads: DocumentReads;
  private readonly documents: DocumentWrites;

  constructor(
    private readonly db: Kysely<Database>,
    /** Documents this process has read or written (shared by every store of the process). */
    private readonly cache: ProfileCache,
    /** PostgreSQL, inside a transaction: `findById` locks the row until it ends (FOR UPDATE). */
    lockRows = false,
    /**
     * Whether documents read or written through this store are committed ones (false for a store
     * bound to a transaction still open: see ProfileCache).
     */
    private readonly committed = true,
  ) {
    this.reads = documentReads(db, lockRows);
    this.documents = documentWrites(db);
  }

  async findById(
    environmentId: string,
    id: string,
    db: Db = this.db,
  ): Promise<StoredProfile | undefined> {
    const cached = this.cache.get(id);
    const row = (
      await this.reads.selectById.execute(db, [cached?.version ?? -1, id, environmentId])
    ).rows[0];
    if (!row) return undefined;
    return {
      state: this.stateOf(id, row, cached),
      version: row.version,
      mergedInto: row.merged_into,
    };
  }

  /**
   * The profiles holding `type:value` (several only for email and phone), in id order: the
   * identifier lookup and the profile read in one statement.
   */
  async findByIdentifier(
    environmentId: string,
    type: IdentifierType,
    value: string,
  ): Promise<Array<StoredProfile & { id: string }>> {
    const key = holderKey(environmentId, type, value);
    const hint = this.cache.holderHint(key);
    const cached = hint === '' ? undefined : this.cache.get(hint);
    const { rows } = await this.reads.selectByIdentifier.execute(this.db, [
      hint,
      cached?.version ?? -1,
      environmentId,
      type,
      value,
    ]);
    if (rows.length === 1) this.cache.noteHolder(key, rows[0]!.id);
    return rows
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((row) => ({
        id: row.id,
        state: this.stateOf(row.id, row, row.id === hint ? cached : undefined),
        version: row.version,
        mergedInto: row.merged_into,
      }));
  }

  /**
   * The document of `id` in this environment as this process last kept it, if no other process
   * has committed since (see ProfileCache.trusted).
   */
  trusted(environmentId: string, id: string): CachedProfile | undefined {
    const kept = this.cache.trusted(id);
    // The cache is keyed by id alone: another environment's profile is not this one's to use.
    return kept?.state.environmentId === environmentId ? kept : undefined;
  }

  /**
   * For a read that answers at once: the live document of `id` as this process keeps it, if no
   * other process has committed since (asked of the database now: see ProfileCache.trusted) —
   * then it is the stored one, since every write of this process either keeps its new version
   * or drops the old one. Undefined means: read it.
   */
  async current(
    environmentId: string,
    id: string,
  ): Promise<(StoredProfile & { id: string }) | undefined> {
    const kept = this.committed ? await this.cache.trustedNow(id) : undefined;
    if (kept?.state.environmentId !== environmentId) return undefined;
    return { id, state: kept.state, version: kept.version, mergedInto: null };
  }

  /**
   * As {@link current}, for the holder of a unique identifier: the profile it named when last
   * read, if that profile's current document still holds it (a document lists its identifiers,
   * and the identifier rows are written with it; a unique identifier has one holder).
   */
  async currentHolder(
    environmentId: string,
    type: IdentifierType,
    value: string,
  ): Promise<(StoredProfile & { id: string }) | undefined> {
    if (!UNIQUE_IDENTIFIER_TYPES.has(type)) return undefined;
    const hint = this.cache.holderHint(holderKey(environmentId, type, value));
    const kept = hint === '' ? undefined : await this.current(environmentId, hint);
    const holds = kept?.state.identifiers.some((i) => i.type === type && i.value === value);
    return holds ? kept : undefined;
  }

  /**
   * The holders of several unique identifiers at once, keyed `type:value`: a batch looks up the
   * profiles of all its groups in one statement rather than one each.
   */
  async findByIdentifiers(
    environmentId: string,
    identifiers: readonly Identifier[],
  ): Promise<Map<string, StoredProfile & { id: string }>> {
    const found = new Map<string, StoredProfile & { id: string }>();
    await Promise.all(
      uniqueLookupsOf(identifiers).map(async (lookup) => {
        const { rows } = await this.reads
          .selectByIdentifiers(lookup.values.length)
          .execute(this.db, uniqueLookupParameters(environmentId, lookup));
        for (const row of rows) {
          found.set(`${row.type}:${row.value}`, {
            id: row.id,
            state: this.stateOf(row.id, row, undefined),
            version: row.version,
            mergedInto: row.merged_into,
          });
        }
      }),
    );
    return found;
  }

  /** Keeps a document this process has just committed, `bytes` its stored JSON's length. */
  remember(state: ProfileState, version: number, bytes: number): void {
    if (this.committed) this.cache.remember(state, version, bytes);
  }

  /**
   * The row's document: the cached one when the query left it out (or when it is the version
   * kept, which an identifier's first lookup cannot know beforehand), else parsed (and kept,
   * when it is live).
   */
  private stateOf(id: string, row: ReadRow, cached: CachedProfile | undefined): ProfileState {
    if (row.state === null) {
      // Only the version this process holds is left out, and `cached` is that entry.
      if (cached?.version !== row.version) throw new Error(`profile ${id}: no document read`);
      if (this.committed) this.cache.confirm(id, row.version);
      return cached.state;
    }
    const kept = cached ?? this.cache.get(id);
    if (kept?.version === row.version) {
      if (this.committed) this.cache.confirm(id, row.version);
      return kept.state;
    }
    const state = parseStored<ProfileState>(row.state);
    // Only live documents are kept: a write may start from a kept one without reading its row.
    if (row.merged_into === null) this.remember(state, row.version, row.state.length);
    return state;
  }

  /** Where a profile id points now: itself, or the survivor it was merged into (followed). */
  findLiveId(environmentId: string, id: string): Promise<string | undefined> {
    return findLiveProfileId(this.db, environmentId, id);
  }

  /** Live profiles of an environment in id order (see listProfiles). */
  list(environmentId: string, afterId: string | null, limit: number): Promise<ProfileState[]> {
    return listProfiles(this.db, environmentId, afterId, limit);
  }

  /** Stores a new profile (version 1); answers the stored JSON's length. */
  async insert(trx: Transaction<Database>, state: ProfileState): Promise<number> {
    const { write, bytes } = this.rows(state, null);
    await runRows(trx, [write]);
    return bytes;
  }

  /**
   * Writes the document if nobody else wrote since `expectedVersion`, else WriteConflict;
   * answers the stored JSON's length.
   */
  async update(
    trx: Transaction<Database>,
    state: ProfileState,
    expectedVersion: number,
  ): Promise<number> {
    const { write, bytes } = this.rows(state, expectedVersion);
    await runRows(trx, [write]);
    return bytes;
  }

  /**
   * The row of {@link insert} (`expectedVersion` null) or {@link update} (see row-writes.ts),
   * and the stored JSON's length.
   */
  rows(state: ProfileState, expectedVersion: number | null): { write: RowWrite; bytes: number } {
    // The version this write replaces is kept no longer (`current` must never answer it once
    // the write commits); a writer keeps the new one once committed (see remember).
    this.cache.forget([state.id]);
    return documentRow(this.documents, state, expectedVersion);
  }

  /** Turns a profile into a pointer to its survivor (its document is kept in the merge log). */
  async markMerged(
    trx: Transaction<Database>,
    id: string,
    survivorId: string,
    expectedVersion: number,
  ): Promise<void> {
    const result = await trx
      .updateTable('profiles')
      .set({ merged_into: survivorId, version: expectedVersion + 1, updated_at: Date.now() })
      .where('id', '=', id)
      .where('version', '=', expectedVersion)
      .executeTakeFirst();
    if (Number(result.numUpdatedRows) !== 1) throw new WriteConflict(`profile ${id} changed`);
    this.cache.forget([id]);
  }

  /** Deletes profiles (a survivor and everything merged into it). */
  async deleteByIds(trx: Transaction<Database>, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    this.cache.forgetDeleted(ids);
    await trx.deleteFrom('profiles').where('id', 'in', ids).execute();
  }

  /** How many of these profile rows exist (erasure checklists). */
  countByIds(profileIds: string[]): Promise<number> {
    return countProfiles(this.db, profileIds);
  }

  /** The environment a profile id belongs to, whichever it is (for "wrong namespace" answers). */
  findEnvironmentOf(id: string): Promise<string | undefined> {
    return findProfileEnvironment(this.db, id);
  }
}
