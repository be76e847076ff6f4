import { type Kysely, sql, type Transaction } from 'kysely';
import {
  type Identifier,
  type IdentifierType,
  type ProfileState,
  UNIQUE_IDENTIFIER_TYPES,
} from '../../engine/types.js';
import { parseStored } from '../../lib/json.js';
import { Precompiled, precompiledByCount } from '../../storage/precompiled.js';
import { type RowWrite, runRows } from '../../storage/row-writes.js';
import type { Database } from '../../storage/schema.js';
import { uniqueLookupParameters, uniqueLookupShape, uniqueLookupsOf } from './identity-store.js';
import type { CachedProfile, ProfileCache } from './profile-cache.js';
import { type DocumentWrites, documentRow, documentWrites } from './profile-rows.js';
import { WriteConflict } from './write-conflict.js';

export interface StoredProfile {
  state: ProfileState;
  version: number;
  mergedInto: string | null;
}

type Db = Kysely<Database> | Transaction<Database>;

/** A row as the reads select it: `state` is null when it is the cached document's version. */
type Row = Pick<Database['profiles'], 'version' | 'merged_into'> & { state: string | null };

/** The holder hints' key of an identifier (see ProfileCache.holderHint). */
const holderKey = (environmentId: string, type: IdentifierType, value: string) =>
  `${environmentId}\u0000${type}\u0000${value}`;

/** SQL for profile documents: one row per profile, read and written whole. */
export class ProfileStore {
  // The queries of every write, compiled once (see Precompiled).
  private readonly selectById: Precompiled<Row>;
  private readonly selectByIdentifier: Precompiled<Row & { id: string }>;
  /** {@link findByIdentifiers}' statement, per count of identifiers. */
  private readonly selectByIdentifiers: (
    count: number,
  ) => Precompiled<Row & { id: string; type: string; value: string }>;
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
    this.selectById = Precompiled.of(
      db
        .selectFrom('profiles')
        // The document is left out (null) when the row's version is the one this process holds
        // (-1 when it holds none): reading and parsing it again would only repeat work.
        .select([
          'version',
          'merged_into',
          sql<string | null>`case when version = ${-1} then null else state end`.as('state'),
        ])
        .where('id', '=', '')
        .where('environment_id', '=', '')
        .$if(lockRows, (qb) => qb.forUpdate()),
    );
    this.selectByIdentifier = Precompiled.of(
      db
        .selectFrom('profile_identifiers as i')
        .innerJoin('profiles as p', (join) =>
          join
            .onRef('p.id', '=', 'i.profile_id')
            .onRef('p.environment_id', '=', 'i.environment_id'),
        )
        // As above, for the profile this identifier named when last read (a hint; '' for none).
        .select([
          'p.id',
          'p.version',
          'p.merged_into',
          sql<
            string | null
          >`case when p.id = ${''} and p.version = ${-1} then null else p.state end`.as('state'),
        ])
        .where('i.environment_id', '=', '')
        .where('i.type', '=', '')
        .where('i.value', '=', '')
        // Rows are locked in id order, so two lockers never wait on each other; otherwise the
        // order is set in JS (SQLite would sort even a single row in a temporary b-tree).
        .$if(lockRows, (qb) => qb.orderBy('p.id').forUpdate('p')),
    );
    this.selectByIdentifiers = precompiledByCount((count) =>
      db
        .selectFrom('profile_identifiers as i')
        .innerJoin('profiles as p', (join) =>
          join
            .onRef('p.id', '=', 'i.profile_id')
            .onRef('p.environment_id', '=', 'i.environment_id'),
        )
        .select(['i.type', 'i.value', 'p.id', 'p.version', 'p.merged_into', 'p.state'])
        .where(uniqueLookupShape(count)),
    );
    this.documents = documentWrites(db);
  }

  async findById(
    environmentId: string,
    id: string,
    db: Db = this.db,
  ): Promise<StoredProfile | undefined> {
    const cached = this.cache.get(id);
    const row = (await this.selectById.execute(db, [cached?.version ?? -1, id, environmentId]))
      .rows[0];
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
    const { rows } = await this.selectByIdentifier.execute(this.db, [
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
        const { rows } = await this.selectByIdentifiers(lookup.values.length).execute(
          this.db,
          uniqueLookupParameters(environmentId, lookup),
        );
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
  private stateOf(id: string, row: Row, cached: CachedProfile | undefined): ProfileState {
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
  async findLiveId(environmentId: string, id: string): Promise<string | undefined> {
    let current = id;
    // A chain of merges is short; the cap only guards against a corrupted cycle.
    for (let hop = 0; hop < 32; hop++) {
      const row = await this.db
        .selectFrom('profiles')
        .select('merged_into')
        .where('id', '=', current)
        .where('environment_id', '=', environmentId)
        .executeTakeFirst();
      if (!row) return undefined;
      if (row.merged_into === null) return current;
      current = row.merged_into;
    }
    return undefined;
  }

  async list(
    environmentId: string,
    afterId: string | null,
    limit: number,
  ): Promise<ProfileState[]> {
    let query = this.db
      .selectFrom('profiles')
      .select('state')
      .where('environment_id', '=', environmentId)
      .where('merged_into', 'is', null);
    if (afterId) query = query.where('id', '>', afterId);
    const rows = await query.orderBy('id').limit(limit).execute();
    return rows.map((r) => parseStored<ProfileState>(r.state));
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
    this.cache.forget(ids);
    await trx.deleteFrom('profiles').where('id', 'in', ids).execute();
  }

  /** How many of these profile rows exist (erasure checklists). */
  async countByIds(profileIds: string[]): Promise<number> {
    if (profileIds.length === 0) return 0;
    const row = await this.db
      .selectFrom('profiles')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('id', 'in', profileIds)
      .executeTakeFirst();
    return Number(row?.n ?? 0);
  }

  /** The environment a profile id belongs to, whichever it is (for "wrong namespace" answers). */
  async findEnvironmentOf(id: string): Promise<string | undefined> {
    const row = await this.db
      .selectFrom('profiles')
      .select('environment_id')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.environment_id;
  }
}
