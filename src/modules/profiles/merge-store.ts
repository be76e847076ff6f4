import type { Kysely, Transaction } from 'kysely';
import type { Identifier, ProfileState } from '../../engine/types.js';
import { parseStored } from '../../lib/json.js';
import type { Database } from '../../storage/schema.js';

/** Why two profiles were merged: the event that proved they are one person. */
export interface MergeReason {
  eventType: string;
  messageId: string;
  identifiers: Identifier[];
}

/** One entry of the merge log: enough to explain the merge and to undo it. */
export interface MergeRecord {
  id: string;
  environmentId: string;
  survivorId: string;
  mergedId: string;
  reason: MergeReason;
  survivorBefore: ProfileState;
  mergedBefore: ProfileState;
  traitsFromMerged: string[];
  movedIdentifiers: Identifier[];
  createdAt: number;
  undoneAt: number | null;
}

type Row = Database['merges'];

function fromRow(row: Row): MergeRecord {
  return {
    id: row.id,
    environmentId: row.environment_id,
    survivorId: row.survivor_id,
    mergedId: row.merged_id,
    reason: parseStored<MergeReason>(row.reason),
    survivorBefore: parseStored<ProfileState>(row.survivor_before),
    mergedBefore: parseStored<ProfileState>(row.merged_before),
    traitsFromMerged: parseStored<string[]>(row.traits_from_merged),
    movedIdentifiers: parseStored<Identifier[]>(row.moved_identifiers),
    createdAt: row.created_at,
    undoneAt: row.undone_at,
  };
}

/** SQL for the merge log. */
export class MergeStore {
  constructor(private readonly db: Kysely<Database>) {}

  async findById(environmentId: string, id: string): Promise<MergeRecord | undefined> {
    const row = await this.db
      .selectFrom('merges')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  /** Every merge in which these profiles took part (as survivor or as merged), oldest first. */
  async findByProfiles(environmentId: string, profileIds: string[]): Promise<MergeRecord[]> {
    const rows = await this.db
      .selectFrom('merges')
      .selectAll()
      .where('environment_id', '=', environmentId)
      .where((eb) =>
        eb.or([eb('survivor_id', 'in', profileIds), eb('merged_id', 'in', profileIds)]),
      )
      .orderBy('id')
      .execute();
    return rows.map(fromRow);
  }

  async insert(trx: Transaction<Database>, record: MergeRecord): Promise<void> {
    await trx
      .insertInto('merges')
      .values({
        id: record.id,
        environment_id: record.environmentId,
        survivor_id: record.survivorId,
        merged_id: record.mergedId,
        reason: JSON.stringify(record.reason),
        survivor_before: JSON.stringify(record.survivorBefore),
        merged_before: JSON.stringify(record.mergedBefore),
        traits_from_merged: JSON.stringify(record.traitsFromMerged),
        moved_identifiers: JSON.stringify(record.movedIdentifiers),
        created_at: record.createdAt,
        undone_at: null,
      })
      .execute();
  }

  async markUndone(trx: Transaction<Database>, id: string, at: number): Promise<void> {
    await trx.updateTable('merges').set({ undone_at: at }).where('id', '=', id).execute();
  }

  async deleteByProfiles(trx: Transaction<Database>, profileIds: string[]): Promise<void> {
    const ids = await this.recordsHolding(trx, profileIds);
    if (ids.length > 0) await trx.deleteFrom('merges').where('id', 'in', ids).execute();
  }

  /** How many merge records hold these profiles' data (erasure checklists). */
  async countByProfiles(profileIds: string[]): Promise<number> {
    return (await this.recordsHolding(this.db, profileIds)).length;
  }

  /**
   * The merge records that hold these profiles' data: those that name them, and those of later
   * merges of the profiles that had absorbed them (up the chain), whose before-documents copied
   * their traits and identifiers, even after the merge that absorbed them was undone.
   */
  private async recordsHolding(db: Kysely<Database>, profileIds: string[]): Promise<string[]> {
    if (profileIds.length === 0) return [];
    const found = new Set<string>();
    const erased = new Set(profileIds);
    const visited = new Set(profileIds);
    let frontier = profileIds;
    while (frontier.length > 0) {
      const rows = await db
        .selectFrom('merges')
        .select(['id', 'survivor_id', 'merged_id', 'survivor_before', 'merged_before'])
        .where((eb) => eb.or([eb('survivor_id', 'in', frontier), eb('merged_id', 'in', frontier)]))
        .execute();
      const next = new Set<string>();
      for (const row of rows) {
        const names = erased.has(row.survivor_id) || erased.has(row.merged_id);
        const copies = [...erased].some(
          (id) => row.survivor_before.includes(id) || row.merged_before.includes(id),
        );
        if (names || copies) found.add(row.id);
        // The survivor absorbed a profile of the chain: its later merges may copy it.
        if (frontier.includes(row.merged_id) && !visited.has(row.survivor_id))
          next.add(row.survivor_id);
      }
      for (const id of next) visited.add(id);
      frontier = [...next];
    }
    return [...found];
  }
}
